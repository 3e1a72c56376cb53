import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { LaneRecord } from '../src/engine/journal.js';
import { findMarkedLanes, writeMarker } from '../src/lane/marker.js';
import type { Project } from '../src/engine/project.js';
import { cloneLane } from '../src/git/lane-clone.js';
import { openViewAccess } from '../src/lane/view-access.js';
import { execInDir } from '../src/process/exec-in-dir.js';
import type { ExecOptions, FoundLane, LaneAccess, LaneSpec, Strategy } from './strategy.js';

/**
 * clone: a full, independent clone per lane (`clone.mode`: full, reference or blobless). isolane
 * reads it only through a view of its own (src/lane/view-reader.ts), so nothing the lane
 * configured runs on the host; its commits come home by a fetch from that view.
 */
export function cloneStrategy(project: Project): Strategy {
  const { ctx, repo } = project;
  return {
    name: 'clone',

    probe() {
      return Promise.resolve({ available: true });
    },

    async create(spec: LaneSpec) {
      await cloneLane(ctx, repo, spec, project.config.clone.mode);
      await writeMarker(path.join(spec.path, '.git'), { repo: repo.id, lane: spec.lane, strategy: 'clone' });
    },

    open(lane: LaneRecord): Promise<LaneAccess> {
      return openViewAccess(ctx, repo, lane);
    },

    exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInDir(lane.path, argv, opts);
    },

    async destroy(lane: LaneRecord) {
      // Everything of a clone lane is in its directory (rm never follows a symlink out of it).
      await fsp.rm(lane.path, { recursive: true, force: true });
    },

    async list(): Promise<FoundLane[]> {
      return (await findMarkedLanes(project.lanesRoot, repo.id, 'clone')).map((lane) => ({
        lane,
        path: project.lanePath(lane),
        branch: `${project.config.branchPrefix}${lane}`,
        missing: false,
      }));
    },
  };
}
