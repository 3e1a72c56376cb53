/**
 * How a snapshot lane gets its files over a shared base checkout:
 * - `kernel`: an overlay mount (needs CAP_SYS_ADMIN);
 * - `fuse`: the same layering by fuse-overlayfs (needs /dev/fuse);
 * - `reflink`: no mount, a copy of the base whose files are clones (XFS with reflink=1, btrfs).
 */
export type SnapshotBackend = 'kernel' | 'fuse' | 'reflink';

/** Preference order: the kernel overlay is fastest; a reflink copy costs a walk of the tree. */
export const SNAPSHOT_BACKENDS: readonly SnapshotBackend[] = ['kernel', 'fuse', 'reflink'];

/**
 * Backends whose lane directory is a mount point. Only for these do isMounted and unmountLayer
 * mean anything: a reflink lane is a plain directory.
 */
export type MountingBackend = Exclude<SnapshotBackend, 'reflink'>;

export function isMountingBackend(backend: SnapshotBackend): backend is MountingBackend {
  return backend !== 'reflink';
}
