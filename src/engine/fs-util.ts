import { lstatSync } from 'node:fs';
import { promised } from '../fs/safe-read.js';

/** True if something is at `p`; errors other than "not found" propagate (they are not "absent"). */
export function pathExists(p: string): Promise<boolean> {
  // Synchronous, as src/fs/safe-read.ts reads: fs.promises alone costs `up` 1-1.5 ms to load.
  return promised(() => lstatSync(p, { throwIfNoEntry: false }) !== undefined);
}
