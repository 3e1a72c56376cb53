import { IsolaneError } from '../errors.js';
import { divergedError, fastForwardBranch, type BranchMove } from '../git/lane-home.js';
import { assertLaneName, headsRef } from '../git/names.js';
import type { Project } from './project.js';
import { readyLane } from './run.js';

export interface FetchReport {
  readonly lane: string;
  readonly branch: string;
  /** What happened to the main repository's lane branch. */
  readonly move: BranchMove;
  /** Refs of the lane now mirrored under refs/isolane/lanes/<lane>/ (none for worktree lanes). */
  readonly refs: number;
}

/**
 * Brings a lane's commits into the main repository, deliberately (nothing that only reads ever
 * does): every ref of the lane under refs/isolane/lanes/<lane>/, and its branch moved forward
 * only. When the branch moved both in the lane and in the main repository, nothing is moved and
 * LANE_DIVERGED says how to merge.
 */
export async function fetchLane(project: Project, lane: string): Promise<FetchReport> {
  assertLaneName(lane);
  const { ctx, repo } = project;
  const hold = await project.tryLaneLock(lane, ctx.lockTimeoutMs, true);
  if (!hold) throw new IsolaneError('LANE_BUSY', `lane ${lane} is busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`, { hint: 'wait for it, then retry' });
  try {
    const record = await readyLane(project, lane);
    project.checkRecord(record);
    const strategy = await project.strategy(record.strategy);
    await strategy.ready?.(record);
    const access = await strategy.open(record);
    try {
      if (access.unchecked.length > 0) {
        throw new IsolaneError('UNSAFE_PATH', `lane ${lane} cannot be read safely: ${access.unchecked.join('; ')}`, { hint: 'inspect the lane; `isolane down --force` removes it, keeping its commits where isolane could read them' });
      }
      const { move, refs } = await project.withRepoLock(async () => {
        const tips = await access.bringHome();
        const laneTip = tips.find((t) => t.key === headsRef(record.branch) && t.rev !== headsRef(record.branch));
        const m: BranchMove = laneTip ? await fastForwardBranch(ctx, repo.root, record.branch, laneTip.rev) : { kind: 'unchanged' };
        return { move: m, refs: tips.filter((t) => t.rev.startsWith('refs/isolane/lanes/')).length };
      });
      if (move.kind === 'diverged') throw divergedError(lane, record.branch, move);
      return { lane, branch: record.branch, move, refs };
    } finally {
      await access.close();
    }
  } finally {
    await hold.release();
  }
}
