import { realpathSync } from 'node:fs';
import path from 'node:path';
import { promised, quietly, statQuietly } from '../fs/safe-read.js';
import { readCacheFile, userCacheDir, writeCacheFile } from '../fs/user-cache.js';

/**
 * `git version` asked once per git binary, not on every command: the answer is kept in
 * `$XDG_CACHE_HOME/isolane/git-version.json` (else `~/.cache/isolane`), keyed by the binary
 * PATH leads to: its resolved path, device, inode, size and mtime, so an upgraded or another
 * git is asked again. Only a version that passed the minimum check is ever kept.
 */
export interface GitBinary {
  /** Identity of the binary PATH leads to: what the cached answer is valid for. */
  readonly key: string;
  readonly cacheFile: string;
}

const CACHE_NAME = 'git-version.json';
const VERSION = /^\d{1,6}\.\d{1,6}\.\d{1,6}$/;

/** The git that spawning `git` runs (the first executable on PATH), and where its version is cached; undefined when either is unknown. */
export function gitBinary(env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<GitBinary | undefined> {
  return promised(() => gitBinaryNow(env, cwd));
}

function gitBinaryNow(env: Readonly<Record<string, string | undefined>>, cwd: string): GitBinary | undefined {
  const cacheDir = userCacheDir(env);
  if (!cacheDir) return undefined;
  // PATH in order, the first executable taken: synchronous stats (a few microseconds each), not a
  // thread-pool round trip for each entry.
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const file = path.resolve(cwd, dir, 'git'); // an empty entry is the current directory, as for execvp
    const st = statQuietly(file);
    if (st?.isFile() !== true || (st.mode & 0o111) === 0) continue;
    const real = quietly(() => realpathSync(file));
    return real ? { key: `${real}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`, cacheFile: path.join(cacheDir, CACHE_NAME) } : undefined;
  }
  return undefined;
}

/** The cached version of this binary ("2.39.5"), if one was kept. */
export async function cachedGitVersion(binary: GitBinary): Promise<string | undefined> {
  const text = await readCacheFile(binary.cacheFile, 4096);
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as { key?: unknown; version?: unknown };
    return entry.key === binary.key && typeof entry.version === 'string' && VERSION.test(entry.version) ? entry.version : undefined;
  } catch {
    return undefined; // a torn or foreign file: ask git again, and write it anew
  }
}

/** Keeps the version for this binary (atomically); a cache that cannot be written is no error. */
export async function cacheGitVersion(binary: GitBinary, version: string): Promise<void> {
  await writeCacheFile(binary.cacheFile, `${JSON.stringify({ key: binary.key, version })}\n`);
}
