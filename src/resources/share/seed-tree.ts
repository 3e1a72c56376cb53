import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../../errors.js';
import { placeEntry, type FileMode } from '../files/copy-entry.js';
import type { Owner } from '../files/lane-owner.js';

/** A seeded tree larger than this is refused (node_modules of large monorepos stay well under). */
const MAX_ENTRIES = 2_000_000;

export interface SeedCount {
  files: number;
  bytes: number;
  /** Entries left out, with why (symlinks leading out, FIFOs ...). */
  readonly skipped: string[];
}

/**
 * Copies the directory tree `source` to `dest` (which must not exist), file by file in `mode`,
 * never following a symlink: a symlink is made again only when it stays inside `source`
 * (node_modules/.bin's links do). Directories keep their modes.
 */
export async function seedTree(source: string, dest: string, mode: FileMode, owner: Owner | undefined): Promise<SeedCount> {
  const count: SeedCount = { files: 0, bytes: 0, skipped: [] };
  let entries = 0;
  const walk = async (from: string, to: string): Promise<void> => {
    const st = await fsp.lstat(from);
    await fsp.mkdir(to, { mode: st.mode & 0o777 });
    await fsp.chmod(to, st.mode & 0o777);
    if (owner) await fsp.lchown(to, owner.uid, owner.gid);
    for (const entry of await fsp.readdir(from, { withFileTypes: true })) {
      if (++entries > MAX_ENTRIES) throw new IsolaneError('UNSAFE_PATH', `${source} holds more than ${MAX_ENTRIES} entries; isolane does not seed it`, { hint: 'share a smaller directory, or set its mode to none' });
      const a = path.join(from, entry.name);
      const b = path.join(to, entry.name);
      if (entry.isDirectory()) {
        await walk(a, b);
        continue;
      }
      const est = await fsp.lstat(a);
      const placed = await placeEntry(a, est, b, source, mode, owner);
      if (placed.placed) {
        count.files += 1;
        count.bytes += placed.bytes;
      } else count.skipped.push(`${path.relative(source, a)}: ${placed.why}`);
    }
  };
  await walk(source, dest);
  return count;
}
