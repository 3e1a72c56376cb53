import path from 'node:path';
import { lstatOrUndefined, readTextSafely } from '../fs/safe-read.js';
import { LANE_NAME } from '../git/names.js';

/**
 * isolane's mark on a lanes root it made for one repository: `{ repo, commonDir }`. It is how a
 * lanes root is told from a directory of the user's, and how a command run from inside a lane of
 * any strategy finds the repository the lane belongs to (a clone lane's own `.git` is a
 * repository of its own; a container lane's is owned by the container's user).
 */
export const ROOT_MARKER = '.isolane-lanes.json';

export interface RootMarker {
  readonly repo?: string;
  readonly commonDir?: string;
}

export function parseRootMarker(text: string): RootMarker | undefined {
  try {
    const v = JSON.parse(text) as { repo?: unknown; commonDir?: unknown };
    return { ...(typeof v.repo === 'string' ? { repo: v.repo } : {}), ...(typeof v.commonDir === 'string' ? { commonDir: v.commonDir } : {}) };
  } catch {
    return undefined; // a marker isolane wrote always parses: this one is not ours
  }
}

export function rootMarkerText(repo: string, commonDir: string): string {
  return `${JSON.stringify({ repo, commonDir })}\n`;
}

/** A lanes root around the working directory: the repository it was marked for. */
export interface EnclosingLanesRoot {
  readonly root: string;
  /** The lane directory the working directory is in; undefined in the lanes root itself. */
  readonly lane?: string;
  readonly repo: string;
  readonly commonDir: string;
}

/**
 * Walks up from `cwd` to the nearest directory that is a checkout (holds `.git`) or a lanes root
 * (holds the marker). A checkout whose parent is a marked lanes root is one of its lanes; any
 * other checkout is a repository of its own (a repository inside a lane stays itself). Only
 * lstat and one bounded read: no git runs in a directory a lane controls.
 */
export async function enclosingLanesRoot(cwd: string): Promise<EnclosingLanesRoot | undefined> {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (await lstatOrUndefined(path.join(dir, ROOT_MARKER))) return readAt(dir, undefined);
    if (await lstatOrUndefined(path.join(dir, '.git'))) {
      const parent = path.dirname(dir);
      if (!LANE_NAME.test(path.basename(dir)) || !(await lstatOrUndefined(path.join(parent, ROOT_MARKER)))) return undefined;
      return readAt(parent, dir);
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

async function readAt(root: string, lane: string | undefined): Promise<EnclosingLanesRoot | undefined> {
  const text = await readTextSafely(path.join(root, ROOT_MARKER), { maxBytes: 4096 }).catch(() => undefined);
  const marker = text === undefined ? undefined : parseRootMarker(text);
  if (!marker?.repo || !marker.commonDir || !path.isAbsolute(marker.commonDir)) return undefined;
  return { root, ...(lane ? { lane } : {}), repo: marker.repo, commonDir: marker.commonDir };
}
