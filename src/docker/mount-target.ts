import path from 'node:path';

/** Where isolane itself mounts the lane's files and the host's CA bundle inside a container. */
export const WORKSPACE = '/workspace';
export const CA_DIR = '/etc/isolane/ca';

/** Places a mount may not touch at all: isolane's own mounts and the kernel's views. */
const RESERVED = [WORKSPACE, CA_DIR, '/proc', '/sys', '/dev'];
/** System directories a mount may go inside, but never replace or hide whole. */
const SYSTEM = ['/', '/bin', '/boot', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/sbin', '/usr', '/var', '/run', '/tmp'];

/** `child` lies strictly below `parent` (both absolute and normalised). */
export function isInside(child: string, parent: string): boolean {
  return parent === '/' ? child !== '/' : child.startsWith(`${parent}/`);
}

/** One path is the other, or holds it. */
export function overlaps(a: string, b: string): boolean {
  return a === b || isInside(a, b) || isInside(b, a);
}

/**
 * Why a path cannot be a mount's target inside a lane's container, or undefined when it can.
 * Pure, so the config schema reports it with the file, line and column.
 */
export function mountTargetProblem(target: string): string | undefined {
  if (!target.startsWith('/')) return 'expected an absolute path inside the container, such as /data';
  if (target.includes('\0') || path.posix.normalize(target) !== target || (target.length > 1 && target.endsWith('/'))) {
    return 'expected a plain absolute path (no . or .. segments, no // and no trailing /)';
  }
  const system = SYSTEM.find((s) => s === target || isInside(s, target));
  if (system) return `would hide the image's ${system}; mount below it instead (such as ${system === '/' ? '/data' : `${system}/<name>`})`;
  const reserved = RESERVED.find((r) => overlaps(target, r));
  if (reserved) return `overlaps ${reserved}, which isolane or the kernel provides; choose another place`;
  return undefined;
}
