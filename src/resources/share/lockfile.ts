import { createHash } from 'node:crypto';
import path from 'node:path';
import { readFileSafely } from '../../fs/safe-read.js';

/** The lockfiles whose contents decide whether installed dependencies fit a checkout. */
export const LOCKFILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml'] as const;
const MAX_LOCKFILE_BYTES = 64 * 2 ** 20;

export interface Lockfile {
  /** Relative to the checkout's root, with forward slashes. */
  readonly path: string;
  /** sha256 of its bytes, hex. */
  readonly hash: string;
}

/**
 * The lockfile nearest to `relDir` (a shared directory's parent, relative to the checkout
 * root), looking in that directory and then upwards to the root. Read as a file the checkout
 * controls: no symlink, no FIFO, bounded.
 */
export async function nearestLockfile(root: string, relDir: string): Promise<Lockfile | undefined> {
  for (let dir = relDir === '' ? '.' : relDir; ; dir = path.posix.dirname(dir)) {
    for (const name of LOCKFILES) {
      const rel = dir === '.' ? name : `${dir}/${name}`;
      const bytes = await readFileSafely(path.join(root, rel), { maxBytes: MAX_LOCKFILE_BYTES });
      if (bytes) return { path: rel, hash: createHash('sha256').update(bytes).digest('hex') };
    }
    if (dir === '.') return undefined;
  }
}

/**
 * One hash for everything a lane's set-up depends on: the lockfile nearest each shared
 * directory, or the root's when nothing is shared. Undefined when there is no lockfile at all.
 */
export async function setupLockfileHash(root: string, sharePaths: readonly string[]): Promise<string | undefined> {
  const dirs = sharePaths.length > 0 ? sharePaths.map((p) => path.posix.dirname(p)) : ['.'];
  const found = new Map<string, string>();
  for (const dir of dirs) {
    const lock = await nearestLockfile(root, dir);
    if (lock) found.set(lock.path, lock.hash);
  }
  if (found.size === 0) return undefined;
  const h = createHash('sha256');
  for (const [p, hash] of [...found].sort(([a], [b]) => a.localeCompare(b))) h.update(`${p}\0${hash}\n`);
  return h.digest('hex');
}
