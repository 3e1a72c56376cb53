import path from 'node:path';
import { SnapshotError } from './errors.js';

/** The directories of one lane's layer. */
export interface LayerPaths {
  /** The base checkout's tree, shared read-only by every lane on its commit. */
  readonly lower: string;
  /** The lane's own changes (unused by reflink). */
  readonly upper: string;
  /** Overlay's scratch dir, on upper's filesystem (unused by reflink). */
  readonly work: string;
  /** The lane's directory: the mount point, or for reflink the copy's destination. */
  readonly target: string;
}

/**
 * Characters overlay's option string cannot carry: libmount and the kernel split options on `,`,
 * lowerdir lists on `:`, a key from its value on `=`, and `\` escapes; a newline would forge a
 * line of mountinfo.
 */
const UNSAFE_IN_OPTIONS = /[,:\\=\n]/;

/** Throws before anything runs when a path is relative or cannot be carried in `-o` options. */
export function checkLayerPaths(paths: LayerPaths, inOptions: boolean): void {
  for (const [role, p] of Object.entries(paths) as Array<[keyof LayerPaths, string]>) {
    if (!path.isAbsolute(p)) throw new SnapshotError('BAD_PATH', `the ${role} path ${JSON.stringify(p)} is not absolute`);
    if (p.includes('\n')) throw new SnapshotError('BAD_PATH', `the ${role} path ${JSON.stringify(p)} holds a newline`);
    if (inOptions && role !== 'target' && UNSAFE_IN_OPTIONS.test(p)) {
      throw new SnapshotError('BAD_PATH', `the ${role} path ${JSON.stringify(p)} holds one of , : \\ = which the overlay mount options cannot carry`, {
        hint: "move isolane's state directory and the lanes root to paths without those characters",
      });
    }
  }
}
