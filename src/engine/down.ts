import type { Strategy } from '../../strategies/strategy.js';
import { IsolaneError, WouldLoseWorkError } from '../errors.js';
import { gitCommands } from '../git/commands.js';
import { assertLaneName, headsRef } from '../git/names.js';
import { runGit } from '../git/run-git.js';
import { checkpoint } from './checkpoint.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';
import { findOrphan } from './reconcile.js';

export interface DownOptions {
  /** Remove even when uncommitted files or orphaned commits would be lost. */
  readonly force?: boolean;
  /** Keep the lane's branch (its commits stay reachable); only the checkout goes. */
  readonly keepBranch?: boolean;
}

export interface LostCommit {
  readonly oid: string;
  readonly subject: string;
}

export interface DownReport {
  readonly lane: string;
  readonly path: string;
  readonly strategy: string;
  /** The branch deleted and the commit it pointed at (recover with `git branch <name> <oid>`). */
  readonly deletedBranch: { readonly name: string; readonly oid: string } | undefined;
  /** Why the branch was kept, when it was. */
  readonly keptBranch: { readonly name: string; readonly reason: string } | undefined;
  /** What --force threw away: uncommitted files and commits no other ref holds. */
  readonly discarded: { readonly files: readonly string[]; readonly commits: readonly LostCommit[] };
  /** The lane had never finished creation. */
  readonly wasHalfMade: boolean;
}

/**
 * Removes a lane: checkout, then branch (compare-and-swap on the commit checked). Refuses,
 * changing nothing, when uncommitted files or commits held by no other ref would be lost.
 */
export async function down(project: Project, lane: string, opts: DownOptions = {}): Promise<DownReport> {
  assertLaneName(lane);
  const { ctx, journal } = project;
  const laneLock = await project.tryLaneLock(lane, ctx.lockTimeoutMs);
  if (!laneLock) {
    throw new IsolaneError('LANE_BUSY', `lane ${lane} is busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`, {
      hint: 'wait for that process to finish, then retry',
    });
  }
  try {
    await journal.removeStaleTemps(lane);
    const record = (await journal.read(lane)) ?? (await findOrphan(project, lane));
    if (!record) {
      await laneLock.releaseAndRemove();
      throw new IsolaneError('LANE_NOT_FOUND', `no lane named ${lane} in ${project.repo.root}`, { hint: '`isolane ls` lists the lanes' });
    }
    const strategy = await project.strategy(record.strategy);
    if (record.state === 'creating') {
      // Never finished creation, so nobody worked in it: remove whatever part exists.
      await strategy.destroy(record, { force: true, halfMade: true });
      await journal.remove(lane);
      await laneLock.releaseAndRemove();
      return { lane, path: record.path, strategy: record.strategy, deletedBranch: undefined, keptBranch: undefined, discarded: { files: [], commits: [] }, wasHalfMade: true };
    }
    const report = await removeLane(project, strategy, record, opts);
    await journal.remove(lane);
    await laneLock.releaseAndRemove();
    return report;
  } finally {
    await laneLock.release();
  }
}

async function removeLane(project: Project, strategy: Strategy, record: LaneRecord, opts: DownOptions): Promise<DownReport> {
  const { ctx } = project;
  const force = opts.force === true;
  const state = await strategy.inspect(record, { beforeSafeRemoval: !force });
  const tips = [...new Set([state.headOid, state.checkoutOid, ...(state.otherTips ?? [])].filter((oid): oid is string => oid !== undefined))];
  const commits = await orphanedCommits(project, record, tips, opts.keepBranch === true);
  if (commits.length > 0 && !force) {
    // Refusing anyway: list the uncommitted files too, so the user sees all that is at stake.
    throw wouldLose(record.lane, state.dirty ?? (await strategy.inspect(record)).dirty ?? [], commits);
  }
  const files = state.dirty ?? [];
  if (files.length > 0 && !force) throw wouldLose(record.lane, files, commits);
  await project.journal.write({ ...record, state: 'removing' });
  await checkpoint(ctx, 'down:removing');
  ctx.logger.progress(`removing lane ${record.lane} at ${record.path}`);
  try {
    await strategy.destroy(record, { force, halfMade: false });
  } catch (e) {
    // The removal itself found uncommitted work (unlisted above, or made since): nothing was removed.
    if (e instanceof WouldLoseWorkError) {
      await project.journal.write(record);
      throw wouldLose(record.lane, (e.data?.files as string[] | undefined) ?? [], commits);
    }
    throw e;
  }

  let deletedBranch: DownReport['deletedBranch'];
  let keptBranch: DownReport['keptBranch'];
  if (opts.keepBranch) {
    keptBranch = { name: record.branch, reason: '--keep-branch' };
  } else if (state.headOid) {
    const oid = state.headOid;
    const result = await project.withRepoLock(() =>
      runGit(ctx, project.repo.root, gitCommands.deleteRef(headsRef(record.branch), oid), { okExitCodes: [1, 128] }),
    );
    if (result.exitCode === 0) deletedBranch = { name: record.branch, oid };
    else keptBranch = { name: record.branch, reason: `it moved after it was checked (was ${oid.slice(0, 12)}); nothing was lost` };
  }
  return {
    lane: record.lane,
    path: record.path,
    strategy: record.strategy,
    deletedBranch,
    keptBranch,
    discarded: opts.force ? { files, commits } : { files: [], commits: [] },
    wasHalfMade: false,
  };
}

async function orphanedCommits(project: Project, record: LaneRecord, tips: string[], keepBranch: boolean): Promise<LostCommit[]> {
  if (tips.length === 0) return [];
  // With --keep-branch the branch itself holds its commits; only a detached checkout can lose any.
  const argv = gitCommands.orphanedCommits(tips, keepBranch ? undefined : record.branch, record.lane);
  const out = (await runGit(project.ctx, project.repo.root, argv)).stdout;
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ oid: line.slice(0, line.indexOf(' ')), subject: line.slice(line.indexOf(' ') + 1) }));
}

function wouldLose(lane: string, files: readonly string[], commits: readonly LostCommit[]): WouldLoseWorkError {
  return new WouldLoseWorkError('WOULD_LOSE_WORK', describeLoss(lane, files, commits), {
    hint: `commit and merge (or push) the work first, keep the branch with --keep-branch, or discard it all with \`isolane down ${lane} --force\``,
    data: { lane, files, commits },
  });
}

function describeLoss(lane: string, files: readonly string[], commits: readonly LostCommit[]): string {
  const parts: string[] = [`refusing to remove lane ${lane}: it holds work that would be lost`];
  if (files.length > 0) {
    parts.push(`  ${files.length} uncommitted file(s):`, ...files.slice(0, 20).map((f) => `    ${f}`));
    if (files.length > 20) parts.push(`    ... and ${files.length - 20} more`);
  }
  if (commits.length > 0) {
    parts.push(`  ${commits.length} commit(s) on no other branch, tag or remote:`, ...commits.slice(0, 20).map((c) => `    ${c.oid.slice(0, 12)} ${c.subject}`));
    if (commits.length > 20) parts.push(`    ... and ${commits.length - 20} more`);
  }
  return parts.join('\n');
}
