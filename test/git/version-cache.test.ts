/**
 * `git version` is asked once per git binary and cached under $XDG_CACHE_HOME/isolane (else
 * ~/.cache/isolane), keyed by the binary's resolved path, inode, size and mtime: another git, or
 * the same one upgraded or replaced, is asked again and checked against the minimum.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
let bin: string;
let cacheFile: string;

beforeEach(async () => {
  repo = await makeRepo();
  bin = path.join(repo.dir, 'bin');
  await fsp.mkdir(bin);
  cacheFile = path.join(repo.env.HOME!, '.cache', 'isolane', 'git-version.json');
  expect((await repo.cli(['up', 'a'])).code).toBe(0);
});
afterEach(async () => {
  await repo.cleanup();
});

/** A `git` first on PATH that claims `version` and either passes the rest to the real git or fails as an old git would. */
async function fakeGit(version: string, rest: 'real' | 'old'): Promise<Record<string, string>> {
  const realGit = await onPath('git');
  const tail = rest === 'real' ? `exec ${realGit} "$@"` : 'echo "error: unknown option \\`path-format=absolute\'" >&2; exit 129';
  // Written beside and renamed over, as a package upgrade replaces a binary.
  const file = path.join(bin, 'git');
  await fsp.writeFile(`${file}.new`, `#!/bin/sh\nif [ "$1" = version ]; then echo "git version ${version}"; exit 0; fi\n${tail}\n`, { mode: 0o755 });
  await fsp.rename(`${file}.new`, file);
  return { PATH: `${bin}:${repo.env.PATH}` };
}

async function onPath(name: string): Promise<string> {
  for (const dir of repo.env.PATH!.split(':')) {
    const file = path.join(dir, name);
    if (await fsp.access(file, fsp.constants.X_OK).then(() => true, () => false)) return file;
  }
  throw new Error(`no ${name} on PATH`);
}

const cached = async (): Promise<{ key: string; version: string } | undefined> =>
  JSON.parse(await fsp.readFile(cacheFile, 'utf8').catch(() => 'null')) as { key: string; version: string } | undefined;

describe('git version cache', () => {
  it('keeps the version of the git on PATH, keyed by that binary', async () => {
    const real = (await repo.git(['version'])).trim().replace(/^git version /, '');
    expect((await repo.cli(['ls'])).code).toBe(0);
    const entry = await cached();
    expect(entry?.version).toBe(/^\d+\.\d+\.\d+/.exec(real)?.[0]);
    expect(entry?.key).toMatch(/\/git\0\d+:\d+:\d+:[\d.]+$/);
  });

  it('asks another git again: one too old is refused, even where it cannot discover the repository', async () => {
    expect((await repo.cli(['ls'])).code).toBe(0); // the real git's version is cached
    const env = await fakeGit('2.20.0', 'old');
    for (const argv of [['ls'], ['env', 'a']]) {
      const r = await repo.cli(argv, { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('git version 2.20.0 is too old');
      expect(r.stderr).toContain('install git 2.31.0 or newer');
    }
    expect((await cached())?.version).not.toBe('2.20.0'); // an old version is never kept
    // `path` runs no git where the checkout is plain: it answers whatever git is on PATH.
    const where = await repo.cli(['path', 'a'], { env });
    expect([where.code, where.stdout.trim()]).toEqual([0, path.join(repo.lanesRoot, 'a')]);
  });

  it('sees the same binary replaced (a downgrade) and refuses it', async () => {
    const env = await fakeGit('2.45.0', 'real');
    expect((await repo.cli(['ls'], { env })).code).toBe(0);
    expect((await cached())?.version).toBe('2.45.0');
    await fakeGit('2.19.1', 'real'); // same path: another size and mtime (a new inode too)
    const r = await repo.cli(['ls'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('git version 2.19.1 is too old');
  });

  it('a cache that cannot be read or written is no error', async () => {
    await fsp.rm(cacheFile, { force: true });
    await fsp.mkdir(cacheFile); // a directory where the file goes
    const r = await repo.cli(['env', 'a']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ISOLANE_PATH=${path.join(repo.lanesRoot, 'a')}`);
  });
});
