import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sys } from './snapshot.js';

const MiB = 2 ** 20;
export const XFS_MAGIC = 0x58465342;

/** Why an XFS loop filesystem cannot be made here, or undefined. */
export async function xfsLoopMissing(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: mounting the XFS loop file needs root';
  for (const [tool, args] of [['mkfs.xfs', ['-V']], ['mount', ['-V']], ['umount', ['-V']]] as const) {
    if (!(await sys(tool, args).then(() => true, () => false))) return `${tool} not found (apt-get install xfsprogs mount)`;
  }
  if (!(await fsp.access('/dev/loop-control').then(() => true, () => false))) return 'no /dev/loop-control: loop devices are not available';
  return undefined;
}

export interface XfsLoop {
  /** The mounted XFS (reflink=1). */
  readonly mnt: string;
  /** Unmounts it and removes the image (safe to call twice). */
  dispose(): Promise<void>;
}

/** A sparse loop file formatted XFS with reflink=1, mounted in a temp dir (as reflink.test.ts does). */
export async function makeXfsLoop(sizeMiB = 512): Promise<XfsLoop> {
  const base = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-xfs-')));
  const img = path.join(base, 'xfs.img');
  const mnt = path.join(base, 'mnt');
  let mounted = false;
  const dispose = async (): Promise<void> => {
    if (mounted) await sys('umount', [mnt]).catch(() => sys('umount', ['-l', mnt]));
    mounted = false;
    await fsp.rm(base, { recursive: true, force: true });
  };
  try {
    await fsp.mkdir(mnt);
    const fh = await fsp.open(img, 'wx');
    await fh.truncate(sizeMiB * MiB); // sparse: costs the host next to nothing
    await fh.close();
    await sys('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
    await sys('mount', ['-o', 'loop', img, mnt]);
    mounted = true;
    if ((await fsp.statfs(mnt)).type !== XFS_MAGIC) throw new Error(`${mnt} is not XFS after mounting ${img}`);
    return { mnt, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
