import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../process/alive.js';
import { lstatQuietly, promised, quietly } from './safe-read.js';
import { tempFileFor } from './temp-name.js';

/**
 * isolane's cache of answers that are costly to find again and cheap to check: the git version
 * (src/git/version-cache.ts) and the validated isolane.yaml (src/config/cache.ts). In
 * `$XDG_CACHE_HOME/isolane` (else `~/.cache/isolane`): the user's own, outside any repository,
 * so nothing a lane's agent writes in the repository can plant an entry. Every entry says what
 * it is valid for and is checked against that; a lost, torn or foreign file only costs the work.
 */
export function userCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : undefined;
  return base === undefined ? undefined : path.join(base, 'isolane');
}

/** A regular file of at most `maxBytes`, never read through a symlink or by blocking on a FIFO; undefined otherwise. */
export function readCacheBytes(file: string, maxBytes: number): Buffer | undefined {
  // Synchronous, as src/fs/safe-read.ts reads: one small file, on the way to every command's first git.
  const fd = quietly(() => openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK));
  if (fd === undefined) return undefined;
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    // The size fstat gave, read at once: readFileSync of a descriptor reads it in chunks, three
    // times as long for a code cache of 200 KB. Entries are replaced by rename, never rewritten in place.
    const bytes = Buffer.allocUnsafe(st.size);
    let got = 0;
    for (let n = -1; got < st.size && n !== 0; got += n) n = readSync(fd, bytes, got, st.size - got, got);
    return got === st.size ? bytes : bytes.subarray(0, got);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** readCacheBytes as text. */
export function readCacheFile(file: string, maxBytes: number): Promise<string | undefined> {
  return promised(() => readCacheBytes(file, maxBytes)?.toString('utf8'));
}

/**
 * Writes an entry atomically (a reader sees the old file or the new, whole); a cache that cannot
 * be written is no error. The temp files a killed writer left beside it go then too.
 */
export function writeCacheFileSync(file: string, data: string | Uint8Array): void {
  const tmp = tempFileFor(file);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, data, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    quietly(() => rmSync(tmp, { force: true }));
  }
  sweepLeftTemps(path.dirname(file));
}

/**
 * Removes the entries beside `kept` whose names `ours` accepts and which were not written for
 * `olderThanMs`: an entry of another build, or of a directory no longer used, once a new one is
 * written.
 */
export function pruneCacheEntries(kept: string, ours: (name: string) => boolean, olderThanMs: number): void {
  const dir = path.dirname(kept);
  for (const name of quietly(() => readdirSync(dir)) ?? []) {
    const file = path.join(dir, name);
    if (file === kept || !ours(name)) continue;
    const st = lstatQuietly(file);
    if (st?.isFile() === true && Date.now() - st.mtimeMs > olderThanMs) quietly(() => rmSync(file, { force: true }));
  }
}

/** A day: a temp file older than this is left, whatever its pid says (pids are reused). */
const LEFT_MS = 24 * 3600_000;

/** Removes `<entry>.<pid>.<nonce>.tmp` files whose writer is gone or which are a day old. */
function sweepLeftTemps(dir: string): void {
  for (const name of quietly(() => readdirSync(dir)) ?? []) {
    const pid = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    const file = path.join(dir, name);
    const st = lstatQuietly(file);
    if (st?.isFile() === true && (!isAlive(Number(pid)) || Date.now() - st.mtimeMs > LEFT_MS)) quietly(() => rmSync(file, { force: true }));
  }
}

/** writeCacheFileSync, as a promise. */
export function writeCacheFile(file: string, text: string): Promise<void> {
  return promised(() => writeCacheFileSync(file, text));
}
