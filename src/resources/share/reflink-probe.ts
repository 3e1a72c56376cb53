import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * Whether the filesystem clones files (FICLONE) from `fromDir` into `toDir`: a one-byte file
 * is copied with COPYFILE_FICLONE_FORCE, which fails where cloning is not supported (ext4,
 * across filesystems). The probe files are removed whatever happens.
 */
export async function reflinkWorks(fromDir: string, toDir: string): Promise<boolean> {
  const tag = `.isolane-reflink-probe-${process.pid}-${Date.now().toString(36)}`;
  const source = path.join(fromDir, tag);
  const dest = path.join(toDir, tag);
  try {
    await fsp.writeFile(source, 'x', { flag: 'wx' });
    await fsp.copyFile(source, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    // Every failure means the same here: no clone, so the caller copies.
    return false;
  } finally {
    await Promise.all([fsp.rm(source, { force: true }), fsp.rm(dest, { force: true })]);
  }
}
