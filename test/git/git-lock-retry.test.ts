/**
 * git's own lock contention (another git process holds a ref lock) is retried with a doubling,
 * jittered back-off. Time is driven through the context's `sleep`: each wait is recorded, not
 * spent, and the other process lets go at a chosen wait rather than after a real delay.
 */
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

async function holdRefLock(lane: string): Promise<void> {
  await fsp.mkdir(path.dirname(refLock(repo, lane)), { recursive: true });
  await fsp.writeFile(refLock(repo, lane), '');
}

/**
 * A `sleep` that records each wait and returns at once, after `atWait(n)` (n counts from 1);
 * like the real one, it rejects when its signal is aborted.
 */
function recordedSleep(atWait: (n: number) => void | Promise<void> = () => {}): { waits: number[]; sleep: (ms: number, signal?: AbortSignal) => Promise<void> } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms, signal) => {
      waits.push(ms);
      await atWait(waits.length);
      signal?.throwIfAborted();
    },
  };
}

/** The wait after failed attempt i (from 1) is 20·2^i ms, jittered to [0.5, 1.5) of that. */
function expectBackoff(waits: readonly number[]): void {
  waits.forEach((ms, k) => {
    const base = 20 * 2 ** (k + 1);
    expect(ms, `wait ${k + 1} of ${waits.join(', ')}`).toBeGreaterThanOrEqual(base * 0.5);
    expect(ms, `wait ${k + 1} of ${waits.join(', ')}`).toBeLessThan(base * 1.5);
  });
}

describe('git lock contention', () => {
  it('is retried: the lane is made once the other process lets go, after as many waits as it held on', async () => {
    await holdRefLock('a');
    // The other process lets go during the second wait: the third attempt succeeds.
    const clock = recordedSleep(async (n) => {
      if (n === 2) await fsp.rm(refLock(repo, 'a'));
    });
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env, sleep: clock.sleep });
    const lane = await iso.up('a');
    expect(clock.waits).toHaveLength(2);
    expectBackoff(clock.waits);
    expect(await exists(path.join(lane.path, 'README.md'))).toBe(true);
    expect((await repo.git(['rev-parse', 'isolane/a'])).trim()).toBe((await repo.git(['rev-parse', 'main'])).trim());
  });

  it('gives up with a clear error after 8 attempts (7 doubling waits), leaving nothing behind', async () => {
    await holdRefLock('b');
    const clock = recordedSleep();
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env, sleep: clock.sleep });
    await expect(iso.up('b')).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/\.lock': File exists/) as unknown });
    expect(clock.waits).toHaveLength(7);
    expectBackoff(clock.waits);
    expect(await exists(path.join(repo.lanesRoot, 'b'))).toBe(false);
    expect(await exists(path.join(repo.root, '.git/isolane/lanes/b.json'))).toBe(false);
    expect(await repo.git(['worktree', 'list', '--porcelain'])).not.toContain('repo.lanes');
    // the other process's lock file is theirs: untouched
    expect(await exists(refLock(repo, 'b'))).toBe(true);
    await fsp.rm(refLock(repo, 'b'));
    await iso.up('b');
  });

  it('an abort during a wait stops the retries at once', async () => {
    await holdRefLock('c');
    const abort = new AbortController();
    const clock = recordedSleep((n) => {
      if (n === 1) abort.abort(new Error('stopped by the caller'));
    });
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env, sleep: clock.sleep, signal: abort.signal });
    await expect(iso.up('c')).rejects.toThrow('stopped by the caller');
    expect(clock.waits).toHaveLength(1);
  });
});
