/**
 * Ignored files a new lane gets: `.worktreeinclude` and `copy:` name them; real git decides what
 * is ignored, real files arrive with their modes (in a container lane: files-docker.test.ts).
 * Facts are read from the filesystem and git, never through isolane.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedTree } from '../../src/resources/share/seed-tree.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const run = promisify(execFile);
let repo: TestRepo;

const mode = async (p: string): Promise<number> => (await fsp.lstat(p)).mode & 0o777;

async function write(rel: string, content: string, perms: number): Promise<void> {
  const p = path.join(repo.root, rel);
  await fsp.mkdir(path.dirname(p), { recursive: true });
  await fsp.writeFile(p, content);
  await fsp.chmod(p, perms);
}

beforeEach(async () => {
  repo = await makeRepo({
    files: {
      'README.md': '# fixture\n',
      '.gitignore': '.env*\nconfig/*.json\n!config/tracked.json\nsecrets.txt\nbuild/\nlink-*\nconfig/pipe\n',
      '.worktreeinclude': '# what every lane needs\n.env.local\nconfig/*.local.json\nlink-*\nconfig/pipe\n',
      'config/tracked.json': '{}\n',
    },
  });
  await write('.env.local', 'SECRET=main\n', 0o600);
  await write('.env.production', 'PROD=1\n', 0o644);
  await write('config/app.local.json', '{"local":true}\n', 0o640);
  await write('config/tools/deep.local.json', '{"deep":true}\n', 0o644); // `config/*` does not cross a /
  await write('config/other.json', '{"other":true}\n', 0o644);
  await write('secrets.txt', 'ignored, named by nothing\n', 0o644);
  await write('build/out.js', 'built\n', 0o755);
  await fsp.symlink('/etc/hostname', path.join(repo.root, 'link-out'));
  await fsp.symlink('README.md', path.join(repo.root, 'link-in'));
  await run('mkfifo', [path.join(repo.root, 'config', 'pipe')]);
});
afterEach(async () => {
  await repo.cleanup();
});

describe('ignored files', () => {
  it('a .worktreeinclude brings .env.local and config/*.local.json with their modes, and nothing else ignored', async () => {
    const up = await repo.cli(['up', 'a']);
    expect(up.code).toBe(0);
    const lane = path.join(repo.lanesRoot, 'a');
    expect(await fsp.readFile(path.join(lane, '.env.local'), 'utf8')).toBe('SECRET=main\n');
    expect(await mode(path.join(lane, '.env.local'))).toBe(0o600);
    expect(await fsp.readFile(path.join(lane, 'config/app.local.json'), 'utf8')).toBe('{"local":true}\n');
    expect(await mode(path.join(lane, 'config/app.local.json'))).toBe(0o640);
    for (const absent of ['.env.production', 'config/other.json', 'config/tools/deep.local.json', 'secrets.txt', 'build', 'config/pipe', 'link-out']) {
      expect(await fsp.lstat(path.join(lane, absent)).then(() => absent, () => undefined)).toBeUndefined();
    }
    // A symlink that stays inside the checkout is made again as a symlink, not followed.
    expect((await fsp.lstat(path.join(lane, 'link-in'))).isSymbolicLink()).toBe(true);
    expect(await fsp.readlink(path.join(lane, 'link-in'))).toBe('README.md');
    // The one leading outside is named in a warning.
    expect(up.stderr).toMatch(/link-out: a symlink to \/etc\/hostname, outside .*not followed/);
    // Every copy is ignored in the lane too: the lane holds no work.
    expect((await repo.git(['status', '--porcelain'], lane)).trim()).toBe('');
  });

  it('copy: in isolane.yaml adds its patterns; a copy is the lane\'s own, and a later up never overwrites it', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'copy:\n  - secrets.txt\n');
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    const a = path.join(repo.lanesRoot, 'a');
    expect(await fsp.readFile(path.join(a, 'secrets.txt'), 'utf8')).toBe('ignored, named by nothing\n');
    await fsp.writeFile(path.join(a, '.env.local'), 'SECRET=lane-a\n');
    await fsp.writeFile(path.join(repo.root, '.env.local'), 'SECRET=main-2\n');
    expect((await repo.cli(['up', 'b'])).code).toBe(0);
    expect(await fsp.readFile(path.join(a, '.env.local'), 'utf8')).toBe('SECRET=lane-a\n');
    expect(await fsp.readFile(path.join(repo.lanesRoot, 'b', '.env.local'), 'utf8')).toBe('SECRET=main-2\n');
    expect((await fsp.stat(path.join(a, '.env.local'))).ino).not.toBe((await fsp.stat(path.join(repo.root, '.env.local'))).ino);
    expect((await repo.cli(['down', 'a'])).code).toBe(0);
    expect((await repo.cli(['down', 'b'])).code).toBe(0);
  });

  it('a copy the main checkout ignores only in its own info/exclude stays ignored in a clone lane, so down removes it', async () => {
    await fsp.writeFile(path.join(repo.root, '.git', 'info', 'exclude'), 'only-here.env\n');
    await fsp.appendFile(path.join(repo.root, '.worktreeinclude'), 'only-here.env\n');
    await write('only-here.env', 'X=1\n', 0o600);
    const up = await repo.cli(['up', 'k', '--strategy', 'clone']);
    expect(up.code, up.stderr).toBe(0);
    const lane = path.join(repo.lanesRoot, 'k');
    expect(await fsp.readFile(path.join(lane, 'only-here.env'), 'utf8')).toBe('X=1\n');
    expect((await repo.git(['status', '--porcelain'], lane)).trim()).toBe('');
    const down = await repo.cli(['down', 'k']);
    expect(down.code, down.stderr).toBe(0);
    expect(await exists(lane)).toBe(false);
  });

  it('never writes through a symlink the lane\'s checkout holds where a copy needs a directory', async () => {
    const outside = path.join(repo.dir, 'outside');
    await fsp.mkdir(outside);
    await repo.git(['checkout', '-q', '-b', 'evil']);
    await repo.git(['rm', '-q', '--cached', 'config/tracked.json']);
    await fsp.rename(path.join(repo.root, 'config'), path.join(repo.dir, 'config-aside'));
    await fsp.symlink(outside, path.join(repo.root, 'config'));
    await repo.git(['add', 'config']);
    await repo.git(['commit', '-q', '-m', 'config is a symlink']);
    await fsp.rm(path.join(repo.root, 'config'));
    await repo.git(['checkout', '-q', 'main']);
    await fsp.rm(path.join(repo.root, 'config'), { recursive: true, force: true });
    await fsp.rename(path.join(repo.dir, 'config-aside'), path.join(repo.root, 'config'));
    const up = await repo.cli(['up', 'x', '--from', 'evil']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/config is not a directory/);
    expect(await fsp.readdir(outside)).toEqual([]);
    expect(await exists(path.join(repo.lanesRoot, 'x'))).toBe(false);
  });

  it('a seeded tree keeps modes and inner symlinks, and leaves out FIFOs and symlinks leading outside', async () => {
    const src = path.join(repo.dir, 'tree');
    await fsp.mkdir(path.join(src, 'pkg', 'bin'), { recursive: true });
    await fsp.writeFile(path.join(src, 'pkg', 'bin', 'tool'), '#!/bin/sh\n');
    await fsp.chmod(path.join(src, 'pkg', 'bin', 'tool'), 0o755);
    await fsp.chmod(path.join(src, 'pkg'), 0o750);
    await fsp.mkdir(path.join(src, '.bin'));
    await fsp.symlink('../pkg/bin/tool', path.join(src, '.bin', 'tool'));
    await fsp.symlink('/etc', path.join(src, 'out'));
    await run('mkfifo', [path.join(src, 'pipe')]);
    const dest = path.join(repo.dir, 'seeded');
    const count = await seedTree(src, dest, 'copy', undefined);
    expect(count.files).toBe(2);
    expect(await mode(path.join(dest, 'pkg', 'bin', 'tool'))).toBe(0o755);
    expect(await mode(path.join(dest, 'pkg'))).toBe(0o750);
    expect(await fsp.readlink(path.join(dest, '.bin', 'tool'))).toBe('../pkg/bin/tool');
    expect(await exists(path.join(dest, 'out'))).toBe(false);
    expect(await fsp.lstat(path.join(dest, 'pipe')).catch(() => undefined)).toBeUndefined();
    expect([...count.skipped].sort()).toEqual([expect.stringMatching(/^out: a symlink to \/etc/) as unknown, expect.stringMatching(/^pipe: not a regular file/) as unknown]);
  });
});
