import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { SNAPSHOT_BACKENDS, type SnapshotBackend } from './backend.js';
import { SnapshotError } from './errors.js';
import { filesystemOf, nearestExisting } from './fs-kind.js';
import { mountLayer, unmountLayer } from './mount.js';
import { mountsUnder } from './mountinfo.js';
import { canMount } from './privilege.js';
import { findTool, runTool, type ToolEnv } from './system-tool.js';

export type { SnapshotBackend } from './backend.js';

export interface ProbePlaces {
  /** Where the probe may make and remove a temp dir: isolane's state dir, beside the bases. */
  readonly scratchDir: string;
  /** Where lanes are made; reflink must clone from scratchDir's filesystem into it. */
  readonly lanesRoot: string;
  readonly env: Context['env'];
  readonly signal?: AbortSignal;
}

export interface BackendTrial {
  readonly backend: SnapshotBackend;
  readonly ok: boolean;
  /** Why not, and what to do: set when ok is false. */
  readonly why?: string;
}

export interface BackendProbe {
  /** The backends that worked, in preference order (kernel, fuse, reflink). */
  readonly usable: SnapshotBackend[];
  readonly tried: BackendTrial[];
}

/**
 * Proves each backend by really using it once, in a temp dir under scratchDir: a tiny lower
 * layer is mounted, written through and unmounted (kernel, fuse); a tiny file is cloned from
 * scratchDir into lanesRoot (reflink). A backend that cannot work here is reported, never thrown.
 */
export async function probeSnapshotBackends(places: ProbePlaces): Promise<BackendProbe> {
  await fsp.mkdir(places.scratchDir, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(places.scratchDir, '.probe-'));
  const sys: ToolEnv = { env: places.env, ...(places.signal ? { signal: places.signal } : {}) };
  try {
    const tried = await Promise.all(
      SNAPSHOT_BACKENDS.map(async (backend): Promise<BackendTrial> => {
        const why = await attempt(backend, path.join(dir, backend), places, sys).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
        return why === undefined ? { backend, ok: true } : { backend, ok: false, why };
      }),
    );
    return { usable: tried.filter((t) => t.ok).map((t) => t.backend), tried };
  } finally {
    await removeProbeDir(dir, sys);
  }
}

/** Undefined when the backend works; else why not. */
async function attempt(backend: SnapshotBackend, dir: string, places: ProbePlaces, sys: ToolEnv): Promise<string | undefined> {
  if (backend === 'kernel' && !(await canMount())) return 'not root and no CAP_SYS_ADMIN: the kernel overlay needs one (run as root, or use fuse)';
  if (backend === 'fuse') {
    const missing = await fuseMissing(sys);
    if (missing) return missing;
  }
  if (backend === 'reflink') return reflinkFails(dir, places, sys);
  return overlayFails(backend, dir, sys);
}

async function fuseMissing(sys: ToolEnv): Promise<string | undefined> {
  if (!(await findTool(sys.env, 'fuse-overlayfs'))) return 'fuse-overlayfs not installed (apt-get install fuse-overlayfs)';
  const dev = await fsp.access('/dev/fuse', constants.R_OK | constants.W_OK).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e.code,
  );
  if (dev === 'ENOENT') return '/dev/fuse missing (modprobe fuse; in a container, pass --device /dev/fuse)';
  if (dev) return `/dev/fuse cannot be opened for reading and writing (${dev}): add this user to its group, or pass --device /dev/fuse to the container`;
  const helper = (await findTool(sys.env, 'fusermount3')) ?? (await findTool(sys.env, 'fusermount'));
  if (!helper && !(await canMount())) return 'fusermount3 not installed, and without it only root can mount fuse (apt-get install fuse3)';
  return undefined;
}

/** Mounts a one-file lower, writes through the mount, checks where the write landed, unmounts. */
async function overlayFails(backend: 'kernel' | 'fuse', dir: string, sys: ToolEnv): Promise<string | undefined> {
  const paths = { lower: path.join(dir, 'lower'), upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'mnt') };
  await Promise.all(Object.values(paths).map((p) => fsp.mkdir(p, { recursive: true })));
  await fsp.writeFile(path.join(paths.lower, 'base.txt'), 'base\n');
  try {
    await mountLayer(backend, paths, sys);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  try {
    if ((await fsp.readFile(path.join(paths.target, 'base.txt'), 'utf8')) !== 'base\n') return `the ${backend} overlay at ${paths.target} did not show the lower layer's file`;
    await fsp.writeFile(path.join(paths.target, 'base.txt'), 'lane\n');
    const [lower, upper] = await Promise.all([fsp.readFile(path.join(paths.lower, 'base.txt'), 'utf8'), fsp.readFile(path.join(paths.upper, 'base.txt'), 'utf8').catch(() => '')]);
    if (lower !== 'base\n' || upper !== 'lane\n') return `a write through the ${backend} overlay did not land in its upper layer alone`;
    return undefined;
  } finally {
    await unmountLayer(backend, paths.target, sys);
  }
}

async function reflinkFails(dir: string, places: ProbePlaces, sys: ToolEnv): Promise<string | undefined> {
  await fsp.mkdir(dir, { recursive: true });
  const source = path.join(dir, 'clone-me');
  await fsp.writeFile(source, 'x');
  // A lanes root not made yet will be made on its nearest existing parent's filesystem.
  const into = await nearestExisting(places.lanesRoot);
  const dest = path.join(into, `.isolane-reflink-probe-${randomBytes(6).toString('hex')}`);
  try {
    const result = await runTool(sys, 'cp', ['--reflink=always', '--', source, dest]);
    if (result.ok) return undefined;
    const [from, to] = await Promise.all([filesystemOf(dir), filesystemOf(into)]);
    if (from.dev !== to.dev) {
      return `${places.scratchDir} (${from.name}) and ${places.lanesRoot} (${to.name}) are on different filesystems, and a clone cannot cross them: keep isolane's state directory and the lanes root on one XFS (reflink=1) or btrfs`;
    }
    if (/failed to clone|not supported|cross-device/i.test(result.stderr)) {
      return `${places.lanesRoot} is on ${to.name}, which cannot clone files (reflink needs XFS with reflink=1 or btrfs)`;
    }
    return `cloning a file into ${into} failed: ${result.why}`;
  } finally {
    await fsp.rm(dest, { force: true });
  }
}

/**
 * Never removes through a mount: a probe that left one (an unmount that failed) is detached
 * lazily first, since nothing of the probe's own can still be using it.
 */
async function removeProbeDir(dir: string, sys: ToolEnv): Promise<void> {
  for (const point of await mountsUnder(dir)) {
    await runTool(sys, 'umount', ['-l', point]);
  }
  if ((await mountsUnder(dir)).length > 0) {
    throw new SnapshotError('UNMOUNT_FAILED', `the snapshot probe could not unmount what it mounted under ${dir}`, { hint: `unmount it and remove ${dir} by hand` });
  }
  await fsp.rm(dir, { recursive: true, force: true });
}
