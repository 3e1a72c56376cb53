import { promises as fsp } from 'node:fs';
import type { LaneRecord } from '../src/engine/journal.js';
import type { Project } from '../src/engine/project.js';
import { gitCommands } from '../src/git/commands.js';
import { cloneLane, findCloneLanes, laneRefMemory } from '../src/git/lane-clone.js';
import { LANE_NAME } from '../src/git/names.js';
import { parseStatus } from '../src/git/parse.js';
import { runGit } from '../src/git/run-git.js';
import { execInDir } from '../src/process/exec-in-dir.js';
import type { ExecOptions, FoundLane, LaneSpec, LaneState, Strategy } from './strategy.js';

/**
 * clone: a full, independent clone per lane (`clone.mode`: full, reference or blobless). Its
 * commits come home by a fetch that never trusts the lane (src/git/fetch-lane.ts).
 */
export function cloneStrategy(project: Project): Strategy {
  const { ctx, repo } = project;
  const laneRefs = laneRefMemory(ctx, project);
  return {
    name: 'clone',

    probe() {
      return Promise.resolve({ available: true });
    },

    create(spec: LaneSpec) {
      return cloneLane(ctx, repo, spec, project.config.clone.mode);
    },

    async inspect(lane: LaneRecord): Promise<LaneState> {
      const exists = await fsp.stat(lane.path).then((s) => s.isDirectory(), () => false);
      // A clone lane is trusted like a worktree: its status runs on the host, beside the fetch
      // home (one reads the lane's objects, the other its files and index).
      const [commits, dirty] = await Promise.all([
        laneRefs.collect(lane),
        exists ? runGit(ctx, lane.path, gitCommands.status()).then((r) => parseStatus(r.stdout)) : [],
      ]);
      return { exists, ...commits, dirty };
    },

    exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInDir(lane.path, argv, opts);
    },

    async destroy(lane: LaneRecord) {
      // A clone shares nothing with the main repository but the refs its commits were fetched to.
      await fsp.rm(lane.path, { recursive: true, force: true });
      await project.withRepoLock(() => laneRefs.drop(lane.lane));
    },

    async list(): Promise<FoundLane[]> {
      return (await findCloneLanes(project.lanesRoot, (n) => LANE_NAME.test(n))).map((f) => ({ ...f, missing: false }));
    },
  };
}
