/**
 * The repository and lane locks, between real processes: a SIGKILLed holder frees the lock, a
 * child that inherited the descriptor keeps it, holders are serialised, shared holders coexist,
 * and a look never creates the lock file. How a waiter backs off and when it gives up is driven
 * through an injected clock instead: each wait is recorded and spent on virtual time.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, tryAcquireLock, type HeldLock } from '../../src/fs/lock.js';

const LOCK_MODULE = path.resolve('dist/src/fs/lock.js');

/** A node process that takes the lock and says so on stdout, then runs `then` (a JS snippet) and waits. */
function holder(file: string, opts: { shared?: boolean; then?: string } = {}): ResultPromise {
  const script = `
    const { tryAcquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
    const lock = await tryAcquireLock(${JSON.stringify(file)}, { timeoutMs: 30000, shared: ${opts.shared === true}, registry: new Set() });
    if (!lock) { console.log('timeout'); process.exit(3); }
    console.log('held');
    ${opts.then ?? 'setInterval(() => {}, 1000);'}
  `;
  return execa('node', ['--input-type=module', '-e', script], { reject: false });
}

function whenSays(p: ResultPromise, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    p.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(word)) resolve();
    });
    void p.then((r) => reject(new Error(`holder ended before saying ${word}: ${String(r.stdout)} ${String(r.stderr)}`)));
  });
}

describe('locks between processes', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-lock-'));
    file = path.join(dir, 'state', 'repo.lock');
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('a SIGKILLed holder leaves the lock free at once', async () => {
    const p = holder(file);
    await whenSays(p, 'held');
    expect(await tryAcquireLock(file, { timeoutMs: 0 })).toBeUndefined();
    p.kill('SIGKILL');
    await p;
    const lock = await tryAcquireLock(file, { timeoutMs: 0 });
    expect(lock).toBeDefined();
    await lock!.release();
  });

  it('a child that inherited the descriptor keeps the lock after its parent is killed', async () => {
    // The parent passes the descriptor to a `sleep` as fd 3, as run-git passes held locks to git.
    const p = execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `const { tryAcquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
         const { spawn } = await import('node:child_process');
         const fds = new Set();
         await tryAcquireLock(${JSON.stringify(file)}, { timeoutMs: 30000, registry: fds });
         const child = spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', ...fds], detached: true });
         console.log('child ' + child.pid);
         setInterval(() => {}, 1000);`,
      ],
      { reject: false },
    );
    let out = '';
    const childPid = await new Promise<number>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /child (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void p.then((r) => reject(new Error(`${String(r.stdout)} ${String(r.stderr)}`)));
    });
    p.kill('SIGKILL');
    await p;
    try {
      expect(await tryAcquireLock(file, { timeoutMs: 0 }), 'the orphaned child still holds it').toBeUndefined();
    } finally {
      process.kill(childPid, 'SIGKILL');
    }
    const lock = await tryAcquireLock(file, { timeoutMs: 5000 });
    expect(lock, 'free once the child is gone').toBeDefined();
    await lock!.release();
  });

  it('concurrent holders are serialised: no two critical sections overlap', async () => {
    const log = path.join(dir, 'log');
    const then = `
      const fs = await import('node:fs');
      fs.appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 40));
      fs.appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
      await lock.release();
    `;
    const results = await Promise.all(Array.from({ length: 6 }, () => holder(file, { then })));
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
    const lines = (await fsp.readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(12);
    for (let i = 0; i < lines.length; i += 2) {
      const pid = lines[i]!.split(' ')[1];
      expect([lines[i], lines[i + 1]]).toEqual([`in ${pid}`, `out ${pid}`]);
    }
  });

  it('shared holders coexist; an exclusive holder waits for all of them', async () => {
    const a = holder(file, { shared: true });
    const b = holder(file, { shared: true });
    await Promise.all([whenSays(a, 'held'), whenSays(b, 'held')]);
    expect(await tryAcquireLock(file, { timeoutMs: 0 })).toBeUndefined();
    const look = await tryAcquireLock(file, { timeoutMs: 0, create: false });
    expect(look, 'a look is shared, so it is let in beside shared holders').toBeDefined();
    await look!.release();
    a.kill('SIGKILL');
    await a;
    expect(await tryAcquireLock(file, { timeoutMs: 0 })).toBeUndefined();
    b.kill('SIGKILL');
    await b;
    const lock = await tryAcquireLock(file, { timeoutMs: 0 });
    expect(lock).toBeDefined();
    await lock!.release();
  });

  it('a look never creates the lock file and sees an exclusive holder', async () => {
    const none = await tryAcquireLock(file, { timeoutMs: 0, create: false });
    expect(none).toBeDefined();
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.dirname(file))).toBe(false);
    const p = holder(file);
    await whenSays(p, 'held');
    expect(await tryAcquireLock(file, { timeoutMs: 0, create: false })).toBeUndefined();
    p.kill('SIGKILL');
    await p;
  });

  it('refuses a lock file that is a symlink or a FIFO', async () => {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.symlink(path.join(dir, 'elsewhere'), file);
    await expect(tryAcquireLock(file, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(existsSync(path.join(dir, 'elsewhere'))).toBe(false);
    await fsp.rm(file);
    await execa('mkfifo', [file]);
    await expect(tryAcquireLock(file, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });
});

/** A clock whose time moves only when waited on; every wait is recorded (`atWait(n)` runs at the n-th, from 1). */
function virtualClock(atWait: (n: number) => void | Promise<void> = () => {}): { waits: number[]; now: () => Date; sleep: (ms: number, signal?: AbortSignal) => Promise<void> } {
  let t = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => new Date(t),
    sleep: async (ms, signal) => {
      waits.push(ms);
      t += ms;
      await atWait(waits.length);
      signal?.throwIfAborted();
    },
  };
}

/** The wait before attempt k+1 is min(100, 5·2^k) ms, jittered to [0.5, 1.5) of that. */
function expectBackoff(waits: readonly number[]): void {
  waits.forEach((ms, k) => {
    const base = Math.min(100, 5 * 2 ** Math.min(k, 5));
    expect(ms, `wait ${k + 1} of ${waits.map((w) => w.toFixed(1)).join(', ')}`).toBeGreaterThanOrEqual(base * 0.5);
    expect(ms, `wait ${k + 1} of ${waits.map((w) => w.toFixed(1)).join(', ')}`).toBeLessThan(base * 1.5);
  });
}

describe('waiting for a lock another holder has (in this process: an open file description lock is per open file)', () => {
  let dir: string;
  let file: string;
  let held: HeldLock;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-lock-'));
    file = path.join(dir, 'state', 'lane.lock');
    held = (await tryAcquireLock(file, { timeoutMs: 0 }))!;
    expect(held).toBeDefined();
  });
  afterEach(async () => {
    await held.release();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('backs off from 5 ms doubling to 100 ms, jittered, and gives up once its timeout has passed on its clock', async () => {
    const clock = virtualClock();
    expect(await tryAcquireLock(file, { timeoutMs: 1000, clock })).toBeUndefined();
    expectBackoff(clock.waits);
    // It gave up at the first look after the deadline: the waits before the last fell short of it.
    const total = clock.waits.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(1000);
    expect(total - clock.waits.at(-1)!).toBeLessThan(1000);
    expect(clock.waits.length).toBeGreaterThan(8);
  });

  it('takes the lock at the first attempt after the holder lets go', async () => {
    const clock = virtualClock(async (n) => {
      if (n === 3) await held.release();
    });
    const lock = await tryAcquireLock(file, { timeoutMs: 60_000, clock });
    expect(lock).toBeDefined();
    expect(clock.waits).toHaveLength(3);
    expectBackoff(clock.waits);
    await lock!.release();
  });

  it('acquireLock says how long it waited, on its clock, and what for', async () => {
    const clock = virtualClock();
    await expect(acquireLock(file, 'lane x', { timeoutMs: 300, clock })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', message: `timed out after 300 ms waiting for the lock on lane x (${file})` });
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
  });

  it('an abort during a wait ends the wait at once', async () => {
    const abort = new AbortController();
    const clock = virtualClock((n) => {
      if (n === 2) abort.abort(new Error('caller gave up'));
    });
    await expect(tryAcquireLock(file, { timeoutMs: 60_000, clock, signal: abort.signal })).rejects.toThrow('caller gave up');
    expect(clock.waits).toHaveLength(2);
  });
});
