/**
 * isolane.yaml validated once, kept in the user's cache (src/config/cache.ts): later commands take
 * it from there without loading the YAML parser or the schema, and any edit of the file, a torn or
 * planted entry, or an invalid file is never served from it. Runs the built CLI (npm run build).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
let cacheDir: string;

beforeEach(async () => {
  repo = await makeRepo();
  cacheDir = path.join(repo.env.HOME ?? '', '.cache', 'isolane', 'config');
});
afterEach(async () => {
  await repo?.cleanup();
});

const entries = async (): Promise<string[]> => (await fsp.readdir(cacheDir).catch(() => [])).filter((f) => f.endsWith('.json'));
const writeConfig = (text: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);
const branchOf = async (lane: string): Promise<string> => (await repo.git(['-C', path.join(`${repo.root}.lanes`, lane), 'branch', '--show-current'])).trim();

describe('the validated isolane.yaml, cached', () => {
  it('is kept after a first command, and what the entry says is what later commands use', async () => {
    await writeConfig('branchPrefix: team/\n');
    expect((await repo.cli(['ls'])).code).toBe(0);
    const [entry] = await entries();
    expect(entry).toBeDefined();
    const file = path.join(cacheDir, entry ?? '');
    const kept = JSON.parse(await fsp.readFile(file, 'utf8')) as { key: unknown; config: { branchPrefix: string } };
    expect(kept.config.branchPrefix).toBe('team/');
    // The entry is what is used: changed behind isolane's back (same key), the next up follows it.
    await fsp.writeFile(file, JSON.stringify({ ...kept, config: { ...kept.config, branchPrefix: 'cached/' } }));
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    expect(await branchOf('a')).toBe('cached/a');
  });

  it('is not used once the file changes: the new text is parsed and kept', async () => {
    await writeConfig('branchPrefix: one/\n');
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    await writeConfig('branchPrefix: two/\n');
    expect((await repo.cli(['up', 'b'])).code).toBe(0);
    expect([await branchOf('a'), await branchOf('b')]).toEqual(['one/a', 'two/b']);
    expect(await entries()).toHaveLength(1); // one entry per isolane.yaml, replaced
  });

  it('never serves an invalid file: its problems are reported every time, with their positions', async () => {
    await writeConfig('branchPrefix: ok/\n');
    expect((await repo.cli(['ls'])).code).toBe(0);
    await writeConfig('branchPrefix: ok/\nportz: 1\n');
    for (let i = 0; i < 2; i++) {
      const r = await repo.cli(['ls']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('isolane.yaml:2:1 portz: unknown key');
    }
  });

  it('a torn entry, or one that is a symlink, is ignored and written anew', async () => {
    await writeConfig('branchPrefix: real/\n');
    expect((await repo.cli(['ls'])).code).toBe(0);
    const [entry = ''] = await entries();
    const file = path.join(cacheDir, entry);
    await fsp.writeFile(file, '{"key":');
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    expect(await branchOf('a')).toBe('real/a');
    const planted = path.join(repo.dir, 'planted.json');
    const good = JSON.parse(await fsp.readFile(file, 'utf8')) as { config: object };
    await fsp.writeFile(planted, JSON.stringify({ ...good, config: { ...good.config, branchPrefix: 'planted/' } }));
    await fsp.rm(file);
    await fsp.symlink(planted, file);
    expect((await repo.cli(['up', 'b'])).code).toBe(0);
    expect(await branchOf('b')).toBe('real/b');
  });

  it('places errors found after loading at the same line from the cache as from the file', async () => {
    await writeConfig('# lanes go next to the repository\nlanes:\n  root: ../occupied\n');
    await fsp.writeFile(path.join(repo.dir, 'occupied'), 'a file, not a directory');
    const fresh = await repo.cli(['up', 'a']);
    const cached = await repo.cli(['up', 'a']);
    expect(await entries()).toHaveLength(1);
    expect(fresh.code).not.toBe(0);
    expect(fresh.stderr).toContain('isolane.yaml:3:3 lanes.root');
    expect(cached.stderr).toBe(fresh.stderr);
  });
});
