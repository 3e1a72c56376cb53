import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

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
export async function readCacheFile(file: string, maxBytes: number): Promise<string | undefined> {
  const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Writes an entry atomically (a reader sees the old file or the new, whole); a cache that cannot be written is no error. */
export async function writeCacheFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(tmp, text, { mode: 0o644 });
    await fsp.rename(tmp, file);
  } catch {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
}
