import type { SnapshotBackend } from './backend.js';
import { busyUsers, describeBusyUsers } from './busy-users.js';
import { SnapshotError } from './errors.js';
import { filesystemOf } from './fs-kind.js';
import { checkLayerPaths, type LayerPaths } from './layer-paths.js';
import { mountAt } from './mountinfo.js';
import { canMount } from './privilege.js';
import { findTool, runTool, type ToolEnv, type ToolResult } from './system-tool.js';

/**
 * Gives `target` the lane's files: an overlay of upper over lower (kernel, fuse), or for
 * reflink a copy of lower whose files are clones (a failed copy leaves what it copied: the
 * caller removes the lane's directory). A target that already is this very kernel overlay (a
 * retried step; mountinfo names its upper dir) is left as it is; any other mount there,
 * fuse-overlayfs included (mountinfo does not say which layers it joins), is refused.
 */
export async function mountLayer(backend: SnapshotBackend, paths: LayerPaths, sys: ToolEnv): Promise<void> {
  checkLayerPaths(paths, backend !== 'reflink');
  if (backend === 'reflink') return cloneTree(paths, sys);
  const existing = await mountAt(paths.target);
  if (existing) {
    if (backend === 'kernel' && existing.fsType === 'overlay' && existing.superOptions.split(',').includes(`upperdir=${paths.upper}`)) return;
    throw new SnapshotError('ALREADY_MOUNTED', `${paths.target} is already a mount point (${existing.fsType})`, {
      hint: `unmount it first (umount ${paths.target}) if nothing uses it`,
    });
  }
  const options = `lowerdir=${paths.lower},upperdir=${paths.upper},workdir=${paths.work}`;
  const result =
    backend === 'kernel'
      ? await runTool(sys, 'mount', ['-t', 'overlay', 'overlay', '-o', options, paths.target])
      : await runTool(sys, 'fuse-overlayfs', ['-o', options, paths.target]);
  if (!result.ok) {
    throw new SnapshotError('MOUNT_FAILED', `could not mount the ${backend} overlay at ${paths.target}: ${result.why}`, {
      hint: backend === 'kernel' ? 'the kernel overlay needs root or CAP_SYS_ADMIN; probeSnapshotBackends says which backend works here' : 'fuse-overlayfs needs /dev/fuse (and fusermount3 unless root); probeSnapshotBackends says which backend works here',
      data: { stderr: result.stderr.slice(-2000) },
    });
  }
}

/**
 * Takes the layer away from `target`. Not mounted: nothing to do. A mount some process still
 * uses is left mounted and reported (BUSY) with the processes found, never detached lazily: a
 * lazily detached lane would keep changing an upper dir isolane then removes. Reflink: no-op,
 * the lane's directory is removed like any other.
 */
export async function unmountLayer(backend: SnapshotBackend, target: string, sys: ToolEnv): Promise<void> {
  if (backend === 'reflink') return;
  const mounted = await mountAt(target);
  if (!mounted) return;
  const point = mounted.mountPoint;
  const result = await runTool(sys, ...(await unmountCommand(backend, point, sys)));
  if (result.ok) return;
  if (/busy/i.test(result.stderr)) throw await busyError(point, result);
  // Unmounted by someone else meanwhile: the goal is reached.
  if (!(await mountAt(point))) return;
  throw new SnapshotError('UNMOUNT_FAILED', `could not unmount ${point}: ${result.why}`, { data: { stderr: result.stderr.slice(-2000) } });
}

async function unmountCommand(backend: SnapshotBackend, point: string, sys: ToolEnv): Promise<[string, string[]]> {
  if (backend === 'fuse') {
    // An unprivileged user unmounts a fuse mount of its own through the setuid helper.
    const helper = (await findTool(sys.env, 'fusermount3')) ?? (await findTool(sys.env, 'fusermount'));
    if (helper && !(await canMount())) return [helper, ['-u', point]];
  }
  return ['umount', [point]];
}

export async function busyError(point: string, result: ToolResult): Promise<SnapshotError> {
  const users = await busyUsers(point);
  const who = users.length > 0 ? `: used by ${describeBusyUsers(users)}` : '';
  return new SnapshotError('BUSY', `${point} is busy${who}; it stays mounted`, {
    hint: `stop what runs in ${point} (find it with: fuser -vm ${point}), then retry`,
    data: { users, stderr: result.stderr.slice(-2000) },
  });
}

/** `cp -a --reflink=always lower/. target`: every file a clone, or nothing but an error. */
async function cloneTree(paths: LayerPaths, sys: ToolEnv): Promise<void> {
  const result = await runTool(sys, 'cp', ['-a', '--reflink=always', '--', `${paths.lower}/.`, paths.target]);
  if (result.ok) return;
  const [from, to] = await Promise.all([filesystemOf(paths.lower), filesystemOf(paths.target)]);
  const why = from.dev !== to.dev ? `${paths.lower} and ${paths.target} are on different filesystems, and a clone cannot cross them` : `${paths.target} is on ${to.name}`;
  throw new SnapshotError('COPY_FAILED', `could not clone ${paths.lower} into ${paths.target}: ${result.why} (${why})`, {
    hint: 'reflink needs the base and the lanes on one filesystem that clones (XFS with reflink=1, btrfs)',
    data: { stderr: result.stderr.slice(-2000) },
  });
}
