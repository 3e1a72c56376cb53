import { promises as fsp } from 'node:fs';

/** True if something is at `p`; errors other than "not found" propagate (they are not "absent"). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
