import { promises as fsp } from 'node:fs';
import type { LaneRecord } from '../src/engine/journal.js';
import type { Project } from '../src/engine/project.js';
import { gitCommands } from '../src/git/commands.js';
import { cloneLane, collectLaneCommits, dropLaneRefs, findCloneLanes } from '../src/git/lane-clone.js';
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
  /** The refs each lane's last fetch left in the main repository, so removal need not list them. */
  const fetchedRefs = new Map<string, readonly string[] | undefined>();
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
      const [{ laneRefs, ...commits }, dirty] = await Promise.all([
        collectLaneCommits(ctx, project, lane),
        exists ? runGit(ctx, lane.path, gitCommands.status()).then((r) => parseStatus(r.stdout)) : [],
      ]);
      fetchedRefs.set(lane.lane, laneRefs);
      return { exists, ...commits, dirty };
    },

    exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInDir(lane.path, argv, opts);
    },

    async destroy(lane: LaneRecord) {
      // A clone shares nothing with the main repository but the refs its commits were fetched to.
      await fsp.rm(lane.path, { recursive: true, force: true });
      const known = fetchedRefs.get(lane.lane);
      fetchedRefs.delete(lane.lane);
      await project.withRepoLock(() => dropLaneRefs(ctx, repo, lane.lane, known));
    },

    async list(): Promise<FoundLane[]> {
      return (await findCloneLanes(project.lanesRoot, (n) => LANE_NAME.test(n))).map((f) => ({ ...f, missing: false }));
    },
  };
}
