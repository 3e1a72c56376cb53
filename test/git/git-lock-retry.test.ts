import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Isolane } from '../../src/index.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
});

// Another git process (an editor, a user's terminal) holding the lock of the lane's branch ref.
const refLock = (r: TestRepo, lane: string): string => path.join(r.root, '.git/refs/heads/isolane', `${lane}.lock`);

describe('git lock contention', () => {
  it('is retried: the lane is made once the other process lets go', async () => {
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env });
    await fsp.mkdir(path.dirname(refLock(repo, 'a')), { recursive: true });
    await fsp.writeFile(refLock(repo, 'a'), '');
    const release = new Promise<void>((resolve) => {
      setTimeout(() => {
        void fsp.rm(refLock(repo, 'a')).then(resolve);
      }, 150);
    });
    const lane = await iso.up('a');
    await release;
    expect(await exists(path.join(lane.path, 'README.md'))).toBe(true);
    expect((await repo.git(['rev-parse', 'isolane/a'])).trim()).toBe((await repo.git(['rev-parse', 'main'])).trim());
  });

  it('gives up with a clear error after its retries, leaving nothing behind', async () => {
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env });
    await fsp.mkdir(path.dirname(refLock(repo, 'b')), { recursive: true });
    await fsp.writeFile(refLock(repo, 'b'), '');
    await expect(iso.up('b')).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/\.lock': File exists/) as unknown });
    expect(await exists(path.join(repo.lanesRoot, 'b'))).toBe(false);
    expect(await exists(path.join(repo.root, '.git/isolane/lanes/b.json'))).toBe(false);
    expect(await repo.git(['worktree', 'list', '--porcelain'])).not.toContain('repo.lanes');
    // the other process's lock file is theirs: untouched
    expect(await exists(refLock(repo, 'b'))).toBe(true);
    await fsp.rm(refLock(repo, 'b'));
    await iso.up('b');
  });
});
