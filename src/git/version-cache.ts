import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

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
export async function gitBinary(env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<GitBinary | undefined> {
  const cacheDir = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : undefined;
  if (!cacheDir) return undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const file = path.resolve(cwd, dir, 'git'); // an empty entry is the current directory, as for execvp
    const st = await fsp.stat(file).catch(() => undefined);
    if (!st?.isFile() || (st.mode & 0o111) === 0) continue;
    const real = await fsp.realpath(file).catch(() => undefined);
    if (!real) return undefined;
    return { key: `${real}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`, cacheFile: path.join(cacheDir, 'isolane', CACHE_NAME) };
  }
  return undefined;
}

/** The cached version of this binary ("2.39.5"), if one was kept. */
export async function cachedGitVersion(binary: GitBinary): Promise<string | undefined> {
  const text = await readSmall(binary.cacheFile);
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
  const tmp = `${binary.cacheFile}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fsp.mkdir(path.dirname(binary.cacheFile), { recursive: true });
    await fsp.writeFile(tmp, `${JSON.stringify({ key: binary.key, version })}\n`, { mode: 0o644 });
    await fsp.rename(tmp, binary.cacheFile);
  } catch {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** A regular file of at most 4 KiB, never read through a symlink or by blocking on a FIFO. */
async function readSmall(file: string): Promise<string | undefined> {
  const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > 4096) return undefined;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
