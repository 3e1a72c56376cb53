import { closeSync, constants, fstatSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { realSleep, type Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { promised, statQuietly, unsafePath } from './safe-read.js';
import { loadTryLock } from './try-lock.js';

/**
 * An OS-level lock on a whole file: an open file description lock (fcntl F_OFD_SETLK) on Linux,
 * flock(2) on macOS, through a prebuilt addon (nothing compiled at install). Either kind belongs
 * to the open file, not the process: the kernel releases it when the last descriptor closes,
 * however the holder exits, so a SIGKILLed isolane never leaves a stale lock behind.
 */
export interface HeldLock extends AsyncDisposable {
  readonly path: string;
  /** Releases the lock and removes the lock file (safe: waiters re-check the inode). */
  releaseAndRemove(): Promise<void>;
  release(): Promise<void>;
}

export interface LockOptions {
  /** 0 tries once. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Where to register the descriptor while held (Context.heldLocks): git children inherit it. */
  readonly registry?: Set<number>;
  /**
   * false: only look, never create or write; a missing lock file means nobody holds the lock
   * (returns a no-op lock). A look is always shared: it learns whether an exclusive holder is at
   * work and keeps one from starting while it looks.
   */
  readonly create?: boolean;
  /** Shared (many holders, none exclusive) instead of exclusive. */
  readonly shared?: boolean;
  /** The clock the wait is measured and spent on (a Context); default: the real one. */
  readonly clock?: Pick<Context, 'now' | 'sleep'>;
}

const realClock: Pick<Context, 'now' | 'sleep'> = { now: () => new Date(), sleep: realSleep };

/**
 * Lock files live where a worktree lane can write (the shared `.git`): never opened through a
 * symlink, never blocking on a FIFO, and only a regular file is locked. The calls are
 * synchronous, as src/fs/safe-read.ts reads: a lock takes five, `down` takes five locks, and
 * each round trip through libuv's thread pool cost about 0.1 ms.
 */
const OPEN_FLAGS = constants.O_NOFOLLOW | constants.O_NONBLOCK;

function sameInode(fd: number, file: string): boolean {
  const [held, current] = [fstatSync(fd), statQuietly(file)];
  return current !== undefined && current.ino === held.ino && current.dev === held.dev;
}

/** Returns the held lock, or undefined when it is still taken after `timeoutMs`. */
export async function tryAcquireLock(file: string, opts: LockOptions): Promise<HeldLock | undefined> {
  const look = opts.create === false;
  if (!look) mkdirSync(path.dirname(file), { recursive: true });
  const clock = opts.clock ?? realClock;
  const deadline = clock.now().getTime() + opts.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    let fd: number;
    try {
      fd = openSync(file, (look ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT) | OPEN_FLAGS, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (look && code === 'ENOENT') return freeLock(file);
      if (code === 'ELOOP' || code === 'ENXIO') throw unsafePath(file, 'is a symlink or FIFO, not a lock file');
      throw e;
    }
    let keep = false;
    try {
      if (!fstatSync(fd).isFile()) throw unsafePath(file, 'is not a regular file, not a lock file');
      // The native addon loads only when a lock file is really there to lock: `path` takes none.
      const tryLock = await loadTryLock();
      // The file may have been removed by the previous holder after we opened it; then our
      // lock would guard a dead inode, so start again on the new file.
      if (tryLock(fd, look || opts.shared === true) && sameInode(fd, file)) {
        keep = true;
        return heldLock(file, fd, opts.registry);
      }
    } finally {
      if (!keep) closeSync(fd);
    }
    if (clock.now().getTime() >= deadline) return undefined;
    // Jittered backoff from 5 ms to 100 ms: many processes wait on one repository lock.
    await clock.sleep(Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()), opts.signal);
  }
}

export async function acquireLock(file: string, what: string, opts: LockOptions): Promise<HeldLock> {
  const lock = await tryAcquireLock(file, opts);
  if (!lock) {
    throw new IsolaneError('LOCK_TIMEOUT', `timed out after ${opts.timeoutMs} ms waiting for the lock on ${what} (${file})`, {
      hint: 'another isolane process is working on it; retry, or find it with `fuser` on the lock file',
    });
  }
  return lock;
}

function heldLock(file: string, fd: number, registry: Set<number> | undefined): HeldLock {
  let released = false;
  registry?.add(fd);
  const releaseNow = (): void => {
    if (released) return;
    released = true;
    registry?.delete(fd);
    closeSync(fd); // closing the last descriptor drops the lock
  };
  const release = (): Promise<void> => promised(releaseNow);
  return {
    path: file,
    release,
    releaseAndRemove: () =>
      promised(() => {
        if (!released) rmSync(file, { force: true });
        releaseNow();
      }),
    [Symbol.asyncDispose]: release,
  };
}

/** A lock file that does not exist is held by nobody: what a look-only probe returns then. */
function freeLock(file: string): HeldLock {
  const done = (): Promise<void> => Promise.resolve();
  return { path: file, release: done, releaseAndRemove: done, [Symbol.asyncDispose]: done };
}
