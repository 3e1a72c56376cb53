import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { isRealDirectory, lstatOrUndefined } from '../fs/safe-read.js';
import { laneRefNamespace, mirroredTips } from '../git/lane-home.js';
import { headsRef } from '../git/names.js';
import type { RepoLocation } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import type { LaneAccess } from './reader.js';
import { openViewReader, VIEW_HEAD, VIEW_LANE_REFS, VIEW_STASH } from './view-reader.js';

/** Bringing a big lane home can take a while; it is still bounded. */
const HOME_TIMEOUT_MS = 30 * 60_000;

/**
 * Access to a lane with a repository of its own on the host (a clone lane, or a container lane
 * whose container is not running), through a view (view-reader.ts): nothing of the lane is
 * trusted, and its commits come home by a fetch from the view, checked by fsck on arrival.
 */
export async function openViewAccess(
  ctx: Context,
  repo: RepoLocation,
  lane: { readonly lane: string; readonly branch: string; readonly path: string },
  note?: string,
): Promise<LaneAccess> {
  const base = { note, branchTip: () => Promise.resolve(undefined), bringHome: () => Promise.resolve([]), close: () => Promise.resolve() };
  // With its directory gone, nothing of the lane is left to hold work: what it had is home already or lost.
  if (!(await isRealDirectory(lane.path))) {
    const st = await lstatOrUndefined(lane.path);
    return { ...base, exists: false, reader: undefined, unchecked: st ? [`${lane.path} is not a real directory (a symlink?)`] : [] };
  }
  const within = await fsp.realpath(lane.path);
  let reader;
  try {
    reader = await openViewReader(ctx, { workTree: within, gitDir: path.join(within, '.git'), within, alternate: path.join(repo.commonDir, 'objects'), label: `${repo.id}-${lane.lane}` });
  } catch (e) {
    return { ...base, exists: true, reader: undefined, unchecked: [e instanceof Error ? e.message : String(e)] };
  }
  const refs = await reader.refs();
  const view = reader.dir;
  return {
    exists: true,
    reader,
    unchecked: refs.unreadable,
    note,
    branchTip: () => Promise.resolve(refs.refs.get(headsRef(lane.branch))),
    async bringHome() {
      // The namespace is isolane's alone: patterns and --prune leave exactly what the lane holds now.
      const ns = laneRefNamespace(lane.lane);
      const refspecs = [`+${VIEW_LANE_REFS}/*:${ns}/refs/*`, `+${VIEW_STASH}/*:${ns}/stash/*`, `+${path.posix.dirname(VIEW_HEAD)}/*:${ns}/head/*`];
      await runGit(ctx, repo.root, ['-c', 'fetch.fsckObjects=true', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--prune', '--end-of-options', view, ...refspecs], {
        timeoutMs: HOME_TIMEOUT_MS,
      });
      return mirroredTips(lane.lane, refs.refs, refs.head, refs.stash);
    },
    close: () => reader.close(),
  };
}
