/**
 * The hot commands' bundles are compiled from a V8 code cache kept in the user's cache
 * (src/cli/code-cache.ts): written by a first run, used by the next, and anything else found in
 * its place (a torn or foreign file, a symlink, a FIFO) costs a compile and nothing more. Runs
 * the built CLI (npm run build).
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);

let repo: TestRepo;
let codeDir: string;

beforeEach(async () => {
  repo = await makeRepo();
  codeDir = path.join(repo.env.HOME ?? '', '.cache', 'isolane', 'code');
});
afterEach(async () => {
  await repo?.cleanup();
});

/** The cache file of one command's bundle, once there is one. */
const cacheOf = async (command: string): Promise<string | undefined> => {
  const found = (await fsp.readdir(codeDir).catch(() => [])).filter((f) => f.startsWith(`${command}-`) && f.endsWith('.v8'));
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0] === undefined ? undefined : path.join(codeDir, found[0]);
};

describe("the hot commands' code cache", () => {
  it('is written by the first run of a command and used by the next, which answers the same', async () => {
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    expect(await cacheOf('ls')).toBeUndefined();
    const first = await repo.cli(['ls', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const file = await cacheOf('ls');
    expect(file).toBeDefined();
    const written = await fsp.stat(file ?? '');
    expect(written.size).toBeGreaterThan(1000);
    const second = await repo.cli(['ls', '--json']);
    expect(second.stdout).toBe(first.stdout);
    // Accepted as it was: not written again.
    expect((await fsp.stat(file ?? '')).mtimeMs).toBe(written.mtimeMs);
    // Each command its own.
    expect((await repo.cli(['down', 'a'])).code).toBe(0);
    expect(await cacheOf('down')).toBeDefined();
  });

  it('a torn or foreign cache is refused by V8: the command runs from source and the cache is written again', async () => {
    expect((await repo.cli(['ls'])).code).toBe(0);
    const file = (await cacheOf('ls')) ?? '';
    const good = await fsp.readFile(file);
    for (const planted of [good.subarray(0, good.length >> 1), Buffer.from('not a code cache'), Buffer.alloc(good.length, 7)]) {
      await fsp.writeFile(file, planted);
      const r = await repo.cli(['ls']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('no lanes (create one with `isolane up <lane>`)\n');
      expect((await fsp.readFile(file)).equals(planted)).toBe(false);
    }
  });

  it("a day-old cache of another build of the command goes when one is written; a recent one stays, as do other commands'", async () => {
    await fsp.mkdir(codeDir, { recursive: true });
    const other = (hash: string, command = 'ls'): string => path.join(codeDir, `${command}-${hash}-${process.version}-${process.arch}.v8`);
    const [old, recent, otherCommand, notOurs] = [other('0000000000000000'), other('1111111111111111'), other('0000000000000000', 'down'), path.join(codeDir, 'ls-notes.txt')];
    for (const f of [old, recent, otherCommand, notOurs]) await fsp.writeFile(f, 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    for (const f of [old, otherCommand, notOurs]) await fsp.utimes(f, twoDaysAgo, twoDaysAgo);
    expect((await repo.cli(['ls'])).code).toBe(0);
    const left = await fsp.readdir(codeDir);
    const lsCaches = left.filter((f) => f.startsWith('ls-') && f.endsWith('.v8'));
    expect(lsCaches).toHaveLength(2); // its own, written now, and the recent one of another build
    expect(lsCaches).toContain(path.basename(recent));
    expect(left).not.toContain(path.basename(old));
    expect(left).toEqual(expect.arrayContaining([path.basename(recent), path.basename(otherCommand), path.basename(notOurs)]));
  });

  it('a symlink or a FIFO in its place is never read through nor written through', async () => {
    expect((await repo.cli(['ls'])).code).toBe(0);
    const file = (await cacheOf('ls')) ?? '';
    const target = path.join(repo.dir, 'elsewhere.bin');
    await fsp.writeFile(target, 'kept');
    await fsp.rm(file);
    await fsp.symlink(target, file);
    expect((await repo.cli(['ls'])).code).toBe(0);
    expect(await fsp.readFile(target, 'utf8')).toBe('kept');
    expect((await fsp.lstat(file)).isFile()).toBe(true); // replaced, not followed
    await fsp.rm(file);
    await execFileP('mkfifo', [file]);
    // A read that blocked on the FIFO would hang here (the test's timeout).
    expect((await repo.cli(['ls'])).code).toBe(0);
    expect((await fsp.lstat(file)).isFile()).toBe(true);
  });
});
