import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { mountAt } from '../snapshot/mountinfo.js';

/**
 * Disk a set of directories takes, found by walking their files: allocated blocks (st_blocks x
 * 512, what `du` counts) and apparent size, each inode (dev, ino) once. Unlike a statfs
 * difference, other processes writing to the same filesystem do not count.
 */
export interface WalkTotals {
  readonly allocatedBytes: number;
  readonly apparentBytes: number;
}

/** lstat and readdir calls in flight at once: enough to keep a disk busy, few enough to leave file descriptors. */
const CONCURRENCY = 16;

const inodeKey = (st: BigIntStats): string => `${st.dev}:${st.ino}`;

/** A file or directory that vanished mid-walk (a git gc, a lane going away) is simply not there. */
function gone(e: unknown): undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw e;
}

/**
 * Calls `visit` with the lstat of `root` and of everything below it. Symlinks are never
 * followed; at most CONCURRENCY calls are in flight.
 */
export async function walkTree(root: string, visit: (file: string, st: BigIntStats) => void): Promise<void> {
  const queue: string[] = [root];
  let active = 0;
  const one = async (file: string): Promise<void> => {
    const st = await fsp.lstat(file, { bigint: true }).catch(gone);
    if (!st) return;
    visit(file, st);
    if (!st.isDirectory()) return;
    const names = await fsp.readdir(file).catch(gone);
    for (const name of names ?? []) queue.push(path.join(file, name));
  };
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const pump = (): void => {
      while (!failed && active < CONCURRENCY && queue.length > 0) {
        const file = queue.pop() as string;
        active++;
        one(file).then(
          () => {
            active--;
            if (queue.length === 0 && active === 0) resolve();
            else pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e instanceof Error ? e : new Error(String(e)));
          },
        );
      }
    };
    pump();
    if (active === 0) resolve();
  });
}

/**
 * Inodes under `dirs` that have more than one link: the files a `git clone --local` lane may
 * share with them. A lane's files with these inodes cost it nothing.
 */
export async function linkedInodes(dirs: readonly string[]): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const dir of dirs) {
    await walkTree(dir, (_, st) => {
      if (!st.isDirectory() && st.nlink > 1n) keys.add(inodeKey(st));
    });
  }
  return keys;
}

/**
 * Counts what `roots` add: every inode once across calls (lanes that hard-link each other count
 * once), and none that is in `shared` (the main repository's object store).
 */
export class DiskTally {
  readonly #seen = new Set<string>();
  constructor(private readonly shared: ReadonlySet<string>) {}

  async add(roots: readonly string[]): Promise<WalkTotals> {
    let allocated = 0n;
    let apparent = 0n;
    for (const root of roots) {
      await walkTree(root, (_, st) => {
        const key = inodeKey(st);
        if (this.#seen.has(key) || (st.nlink > 1n && this.shared.has(key))) return;
        this.#seen.add(key);
        allocated += st.blocks * 512n;
        if (st.isFile()) apparent += st.size;
      });
    }
    return { allocatedBytes: Number(allocated), apparentBytes: Number(apparent) };
  }
}

/**
 * What belongs to a lane at `dir`: its directory, and the admin directory a worktree keeps in the
 * main repository's .git/worktrees/<name> (named by the lane's `.git` file). Objects a lane
 * borrows (a worktree's common dir, a clone's alternates) are not its own.
 */
export async function laneRoots(dir: string): Promise<string[]> {
  // A lane whose files are an overlay (a snapshot lane): its own layer, and the shared base it
  // lies over, reached by its real path so that lanes sharing it count it once between them.
  const mount = await mountAt(dir);
  const layers = mount?.fsType === 'overlay' ? overlayDirs(mount.superOptions) : undefined;
  const files = layers ?? [dir];
  const dotGit = path.join(dir, '.git');
  const st = await fsp.lstat(dotGit).catch(gone);
  if (!st?.isFile()) return files;
  const gitdir = /^gitdir: (.+)$/m.exec(await fsp.readFile(dotGit, 'utf8'))?.[1]?.trim();
  if (gitdir === undefined) return files;
  const admin = path.resolve(dir, gitdir);
  const inside = !path.relative(dir, admin).startsWith('..');
  return inside ? files : [...files, admin];
}

/** The upper, work and lower directories an overlay's mount options name. */
function overlayDirs(options: string): string[] | undefined {
  const dirs = options.split(',').flatMap((o) => {
    const [key, value] = o.split('=', 2);
    if (value === undefined) return [];
    if (key === 'upperdir' || key === 'workdir') return [value];
    return key === 'lowerdir' ? value.split(':') : [];
  });
  return dirs.length > 0 ? dirs : undefined;
}
