import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** One line of /proc/self/mountinfo, the fields isolane reads. */
export interface MountEntry {
  readonly mountPoint: string;
  /** This mount's own options (`ro`, `nosuid`…), not the filesystem's. */
  readonly mountOptions: string;
  /** e.g. `overlay`, `fuse.fuse-overlayfs`, `ext4`. */
  readonly fsType: string;
  /** The filesystem's own options (for an overlay: lowerdir=…,upperdir=…,workdir=…). */
  readonly superOptions: string;
}

/** The kernel writes space, tab, newline and backslash in paths as \040 \011 \012 \134. */
export function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** `<id> <parent> <maj:min> <root> <mount point> <options> [optional…] - <type> <source> <super options>` */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    const point = fields[4];
    const type = fields[dash + 1];
    if (dash < 0 || point === undefined || type === undefined) continue;
    entries.push({ mountPoint: decodeMountField(point), mountOptions: fields[5] ?? '', fsType: decodeMountField(type), superOptions: decodeMountField(fields[dash + 3] ?? '') });
  }
  return entries;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountinfo(await fsp.readFile('/proc/self/mountinfo', 'utf8'));
}

/** The path as the kernel names it in mountinfo (symlinks resolved), or undefined when it does not exist. */
async function realPath(p: string): Promise<string | undefined> {
  try {
    return await fsp.realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * The topmost mount at `target`, or undefined when nothing is mounted there. Later lines of
 * mountinfo are mounted later, so the last match is the one a process sees.
 */
export async function mountAt(target: string): Promise<MountEntry | undefined> {
  const real = await realPath(target);
  if (real === undefined) return undefined;
  return (await readMounts()).findLast((m) => m.mountPoint === real);
}

/**
 * Whether something is mounted at `target` (a kernel or fuse overlay, a bind). A reflink lane is
 * a plain directory, never a mount point: this says nothing about it.
 */
export async function isMounted(target: string): Promise<boolean> {
  return (await mountAt(target)) !== undefined;
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const real = await realPath(dir);
  if (real === undefined) return [];
  const inside = (await readMounts()).map((m) => m.mountPoint).filter((p) => p === real || p.startsWith(real + path.sep));
  return [...new Set(inside)].sort((a, b) => b.length - a.length);
}
