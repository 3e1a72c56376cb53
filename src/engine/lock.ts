import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { flock } from 'fs-ext';
import { IsolaneError } from '../errors.js';
import { unsafePath } from '../fs/safe-read.js';

/**
 * An OS-level exclusive lock (flock(2)) on a file. The kernel releases it when the holder exits,
 * however it exits, so a SIGKILLed isolane never leaves a stale lock behind.
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
  /** false: only look; a missing lock file means nobody holds the lock (returns a no-op lock). */
  readonly create?: boolean;
  /** Shared (many holders, none exclusive) instead of exclusive. */
  readonly shared?: boolean;
}

/**
 * Lock files live where a worktree lane can write (the shared `.git`): never opened through a
 * symlink, never blocking on a FIFO, and only a regular file is locked.
 */
const OPEN_FLAGS = constants.O_NOFOLLOW | constants.O_NONBLOCK;

function tryFlock(fd: number, shared: boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    flock(fd, shared ? 'shnb' : 'exnb', (err) => {
      if (!err) resolve(true);
      else if (err.code === 'EWOULDBLOCK' || err.code === 'EAGAIN') resolve(false);
      else reject(err);
    });
  });
}

async function sameInode(handle: fsp.FileHandle, file: string): Promise<boolean> {
  const [held, current] = await Promise.all([handle.stat(), fsp.stat(file).catch(() => undefined)]);
  return current !== undefined && current.ino === held.ino && current.dev === held.dev;
}

/** Returns the held lock, or undefined when it is still taken after `timeoutMs`. */
export async function tryAcquireLock(file: string, opts: LockOptions): Promise<HeldLock | undefined> {
  if (opts.create !== false) await fsp.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, (opts.create === false ? constants.O_RDONLY : constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT) | OPEN_FLAGS, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (opts.create === false && code === 'ENOENT') return freeLock(file);
      if (code === 'ELOOP' || code === 'ENXIO') throw unsafePath(file, 'is a symlink or FIFO, not a lock file');
      throw e;
    }
    let keep = false;
    try {
      if (!(await handle.stat()).isFile()) throw unsafePath(file, 'is not a regular file, not a lock file');
      // The file may have been removed by the previous holder after we opened it; then our
      // lock would guard a dead inode, so start again on the new file.
      if ((await tryFlock(handle.fd, opts.shared === true)) && (await sameInode(handle, file))) {
        keep = true;
        return heldLock(file, handle, opts.registry);
      }
    } finally {
      if (!keep) await handle.close();
    }
    if (Date.now() >= deadline) return undefined;
    // Jittered backoff from 5 ms to 100 ms: many processes wait on one repository lock.
    await sleep(Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()), undefined, opts.signal ? { signal: opts.signal } : {});
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

function heldLock(file: string, handle: fsp.FileHandle, registry: Set<number> | undefined): HeldLock {
  let released = false;
  registry?.add(handle.fd);
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    registry?.delete(handle.fd);
    await handle.close(); // closing the descriptor drops the flock
  };
  return {
    path: file,
    release,
    async releaseAndRemove() {
      if (!released) await fsp.rm(file, { force: true });
      await release();
    },
    [Symbol.asyncDispose]: release,
  };
}

/** A lock file that does not exist is held by nobody: what a look-only probe returns then. */
function freeLock(file: string): HeldLock {
  const done = (): Promise<void> => Promise.resolve();
  return { path: file, release: done, releaseAndRemove: done, [Symbol.asyncDispose]: done };
}
