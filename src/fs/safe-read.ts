import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../errors.js';

/**
 * Reading files a lane controls. A lane (above all a container lane, running as another user)
 * may replace any file isolane reads with a symlink to somewhere else on the host, a FIFO that
 * blocks the reader forever, a device, or a file of many gigabytes. These readers refuse all of
 * that, and say so with an UNSAFE_PATH error naming the file.
 *
 * They call the file system synchronously: what they read is small and local (records, markers,
 * refs), and a round trip through libuv's thread pool costs more than the read itself; every
 * command makes dozens. The async signatures stay, so a caller never depends on that.
 */

/** Regular files only, never through a symlink at the last component, never blocking on open. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface SafeReadOptions {
  /** Larger files are refused, not truncated. */
  readonly maxBytes: number;
  /**
   * The real path of a directory the file must be inside. Checked on the open descriptor (its
   * /proc link), so a directory swapped for a symlink between the checks is caught too.
   */
  readonly within?: string;
}

export function unsafePath(file: string, why: string): IsolaneError {
  return new IsolaneError('UNSAFE_PATH', `${file} ${why}; isolane does not follow it`, {
    hint: 'something in the lane is not what git makes there (a symlink, FIFO, device or oversized file); inspect it, or remove the lane with `isolane down <lane> --force`',
    data: { file },
  });
}

/** lstat that answers undefined for "not there" and throws everything else. */
export function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  return promised(() => lstatNow(p));
}

/** What `fn` answers, or undefined where it throws (a path not there, not readable). */
export function quietly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * stat and lstat, undefined where there is nothing (or it cannot be read). A path that is not
 * there is answered without an exception: building one costs 5-10 µs, and a command looks up
 * a dozen paths that are usually missing (PATH entries, markers, lock files).
 */
export function statQuietly(p: string): Stats | undefined {
  return quietly(() => statSync(p, { throwIfNoEntry: false }));
}

export function lstatQuietly(p: string): Stats | undefined {
  return quietly(() => lstatSync(p, { throwIfNoEntry: false }));
}

/** What `fn` answers, as a promise: a throw becomes a rejection, as from an async function. */
export function promised<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(fn());
  });
}

function lstatNow(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Reads again after a file was replaced between the look and the open: isolane's own writers replace by rename. */
const REPLACED_RETRIES = 3;

/** The contents of a regular file, or undefined when there is none at `file`. */
export function readFileSafely(file: string, opts: SafeReadOptions): Promise<Buffer | undefined> {
  return promised(() => readNow(file, opts));
}

function readNow(file: string, opts: SafeReadOptions): Buffer | undefined {
  for (let attempt = 1; ; attempt++) {
    const read = readOnce(file, opts);
    // Replaced by another regular file (an atomic rename) between lstat and open: look again.
    if (read !== 'replaced') return read;
    if (attempt >= REPLACED_RETRIES) throw unsafePath(file, `was replaced while being read, ${REPLACED_RETRIES} times running`);
  }
}

function readOnce(file: string, opts: SafeReadOptions): Buffer | undefined | 'replaced' {
  const before = lstatNow(file);
  if (!before) return undefined;
  if (before.isSymbolicLink()) throw unsafePath(file, 'is a symlink');
  if (!before.isFile()) throw unsafePath(file, 'is not a regular file');
  if (before.size > opts.maxBytes) throw unsafePath(file, `is ${before.size} bytes, more than the ${opts.maxBytes} allowed`);
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'ENXIO') throw unsafePath(file, 'changed into a symlink or FIFO while being read');
    throw e;
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) throw unsafePath(file, 'was replaced by something else than a file while being read');
    if (now.ino !== before.ino || now.dev !== before.dev) return 'replaced';
    if (opts.within) assertWithin(fd, file, opts.within);
    const buffer = Buffer.alloc(Math.min(opts.maxBytes, now.size) + 1);
    let length = 0;
    for (;;) {
      const want = buffer.length - length;
      const bytesRead = readSync(fd, buffer, length, want, length);
      length += bytesRead;
      if (length >= buffer.length) throw unsafePath(file, `grew past ${opts.maxBytes} bytes while being read`);
      // A regular file reads short only at its end: no second read to learn that.
      if (bytesRead < want) break;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

export async function readTextSafely(file: string, opts: SafeReadOptions): Promise<string | undefined> {
  return (await readFileSafely(file, opts))?.toString('utf8');
}

/** Where an open descriptor really leads (Linux: /proc/self/fd); elsewhere the path checks stand alone. */
function assertWithin(fd: number, file: string, root: string): void {
  let real: string | undefined;
  try {
    real = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    real = undefined;
  }
  if (real !== undefined && real !== root && !real.startsWith(`${root}${path.sep}`)) {
    throw unsafePath(file, `leads outside ${root} (to ${real})`);
  }
}

/**
 * The entries of a real directory (never one reached through a symlink at its last component);
 * undefined when there is none. Entries are returned as they are: callers skip or refuse symlinks.
 */
export function readDirSafely(dir: string, maxEntries = 100_000): Promise<Dirent[] | undefined> {
  return promised(() => readDirNow(dir, maxEntries));
}

function readDirNow(dir: string, maxEntries: number): Dirent[] | undefined {
  const st = lstatNow(dir);
  if (!st) return undefined;
  if (st.isSymbolicLink()) throw unsafePath(dir, 'is a symlink');
  if (!st.isDirectory()) throw unsafePath(dir, 'is not a directory');
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.length > maxEntries) throw unsafePath(dir, `holds ${entries.length} entries, more than the ${maxEntries} allowed`);
  return entries;
}

/** A real directory, not a symlink to one. */
export async function isRealDirectory(p: string): Promise<boolean> {
  const st = await lstatOrUndefined(p);
  return st !== undefined && st.isDirectory();
}

/**
 * Makes `dir` (and its parents) and checks that it is a real directory, so that what isolane
 * writes into it never goes through a symlink a lane planted (worktree lanes can write in `.git`).
 */
export function realDirectory(dir: string, mode?: number): Promise<string> {
  return promised(() => {
    mkdirSync(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) });
    const st = lstatNow(dir);
    if (!st?.isDirectory()) throw unsafePath(dir, st?.isSymbolicLink() ? 'is a symlink' : 'is not a directory');
    return dir;
  });
}
