import { readdirSync, writeFileSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isRealDirectory, promised, readTextSafely } from '../fs/safe-read.js';
import { LANE_NAME } from '../git/names.js';
import type { ListScope } from './contract.js';

/**
 * isolane's mark on a lane it made, in the lane's own git directory (a worktree lane's is
 * `<common>/worktrees/<id>`): proof, when the journal has lost its record, that a directory is a
 * lane of this repository and not something of the user's that merely sits in the lanes root.
 */
export const MARKER_FILE = 'isolane-lane.json';

export interface LaneMarker {
  /** The repository's id (RepoLocation.id). */
  readonly repo: string;
  readonly lane: string;
  readonly strategy: string;
}

export function writeMarker(gitDir: string, marker: LaneMarker): Promise<void> {
  // Synchronous, as src/fs/safe-read.ts reads: fs.promises alone costs `up` 1-1.5 ms to load.
  return promised(() => writeFileSync(path.join(gitDir, MARKER_FILE), `${JSON.stringify(marker)}\n`));
}

/** The marker in `gitDir` when it is one of ours for `repo` and `lane`; undefined otherwise. */
export async function readMarker(gitDir: string, repo: string, lane: string): Promise<LaneMarker | undefined> {
  const text = await readTextSafely(path.join(gitDir, MARKER_FILE), { maxBytes: 4096 }).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Partial<LaneMarker>;
    return m.repo === repo && m.lane === lane && typeof m.strategy === 'string' ? { repo, lane, strategy: m.strategy } : undefined;
  } catch {
    return undefined; // not ours: a marker isolane wrote always parses
  }
}

/**
 * Lanes of `strategy` in the lanes root that carry isolane's marker for this repository in their
 * own `.git` directory: never merely "a directory in the lanes root". Strategies listing in one
 * `scope` share one walk of the lanes root.
 */
export async function findMarkedLanes(root: string, repoId: string, strategy: string, scope?: ListScope): Promise<string[]> {
  const marked = await (scope ? scope.once(`marked lanes in ${root}`, () => markedLanes(root, repoId)) : markedLanes(root, repoId));
  return [...marked].filter(([, s]) => s === strategy).map(([lane]) => lane);
}

/** Each lane in the lanes root with a marker of ours in its own `.git` directory, and the strategy it names. */
async function markedLanes(root: string, repoId: string): Promise<Map<string, string>> {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(root, { withFileTypes: true }); // synchronous, as src/fs/safe-read.ts reads
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const found = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.isDirectory() || !LANE_NAME.test(entry.name)) continue;
    const gitDir = path.join(root, entry.name, '.git');
    if (!(await isRealDirectory(gitDir))) continue;
    const marker = await readMarker(gitDir, repoId, entry.name);
    if (marker) found.set(entry.name, marker.strategy);
  }
  return found;
}
