import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** statfs magic numbers of the filesystems a lanes root is likely to be on. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext4'], // ext2 and ext3 share it
  [0x58465342, 'XFS'],
  [0x9123683e, 'btrfs'],
  [0x01021994, 'tmpfs'],
  [0x794c7630, 'overlayfs'],
  [0x65735546, 'a FUSE filesystem'],
  [0x6969, 'NFS'],
  [0x2fc12fc1, 'ZFS'],
  [0xf2f52010, 'F2FS'],
  [0xca451a4e, 'bcachefs'],
  [0x4d44, 'FAT'],
  [0x5346544e, 'NTFS'],
]);

/** The filesystem's name ("ext4", "XFS"), or its magic number when unknown. */
export function filesystemName(type: number): string {
  return NAMES.get(type) ?? `a filesystem of type 0x${type.toString(16)}`;
}

/**
 * Where `dir` lives: itself when it exists, else its nearest existing parent, which is where a
 * directory made there later would live.
 */
export async function nearestExisting(dir: string): Promise<string> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const found = await fsp.stat(at).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (found || path.dirname(at) === at) return at;
  }
}

export async function filesystemOf(dir: string): Promise<{ name: string; dev: number }> {
  const at = await nearestExisting(dir);
  const [fs, st] = await Promise.all([fsp.statfs(at), fsp.stat(at)]);
  return { name: filesystemName(fs.type), dev: st.dev };
}
