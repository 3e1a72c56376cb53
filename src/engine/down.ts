import type { Strategy } from '../../strategies/strategy.js';
import { IsolaneError, isIsolaneError, WouldLoseWorkError } from '../errors.js';
import { gitCommands } from '../git/commands.js';
import { discardedNamespace, dropLaneRefs, fastForwardBranch, laneRefNamespace, type BranchMove, type LaneTip } from '../git/lane-home.js';
import { assertLaneName, headsRef, isGitRefName } from '../git/names.js';
import { resolveRevisions } from '../git/resolve.js';
import { runGit } from '../git/run-git.js';
import { unsavedCommits, type UnsavedCommit } from '../git/unsaved.js';
import { dirtyFiles, unsavedSubmoduleCommits, type SubmoduleCommits } from '../lane/inspect.js';
import { sweepStaleViews } from '../lane/view-reader.js';
import { checkpoint } from './checkpoint.js';
import { beforeRemoval, release } from '../resources/lifecycle.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';
import { findOrphan } from './reconcile.js';
import { describeLoss, type Loss } from './loss.js';
import { removeSyncMarker } from './sync-marker.js';
import { recoverInterruptedSync } from './sync-rollback.js';
import { runningServices } from '../services/state.js';
import { stopServices } from '../services/stop.js';

export interface DownOptions {
  /** Remove even when uncommitted files or unsaved commits would be lost (they are listed, and commits kept). */
  readonly force?: boolean;
  /** Keep the lane's branch (its commits stay reachable); only the checkout goes. */
  readonly keepBranch?: boolean;
  /**
   * The lane's branch at `tip` was found merged into `base` (gc: also by a squash or rebase merge):
   * commits reachable from `tip` and not from `base` are not work to lose. They are kept under
   * refs/isolane/discarded/ all the same. Any other commit still refuses the removal.
   */
  readonly merged?: { readonly tip: string; readonly base: string };
  /** Asked with the lane held, before anything is checked: reasons it is in use refuse the removal (LANE_IN_USE). */
  readonly inUse?: (lane: string) => Promise<readonly string[]>;
}

export interface DownReport {
  readonly lane: string;
  readonly path: string;
  readonly strategy: string;
  /** The branch deleted and the commit it pointed at (recover with `git branch <name> <oid>`). */
  readonly deletedBranch: { readonly name: string; readonly oid: string } | undefined;
  /** Why the branch was kept, when it was. */
  readonly keptBranch: { readonly name: string; readonly reason: string } | undefined;
  /** What --force removed that held work; commits are kept under `keptUnder` (never lost). */
  readonly discarded: Loss & { readonly keptUnder: string | undefined };
  /** The lane had never finished creation. */
  readonly wasHalfMade: boolean;
  /** A removal that had been interrupted was finished as it had been decided. */
  readonly finishedInterrupted: boolean;
  /** Only the record went: it did not match this repository (--force), so nothing else was touched. */
  readonly recordOnly: boolean;
  /** Teardown steps that failed and resources that could not be released (removal went on). */
  readonly notes?: readonly string[];
}

const nothingLost: Loss = { files: [], commits: [], submoduleCommits: [], unchecked: [] };

/**
 * Removes a lane: checkout, then branch (compare-and-swap on the commit checked). Refuses,
 * changing nothing, when uncommitted files, commits no ref outside the lane holds, submodule
 * commits their remotes lack, or anything it could not check stand in the way; `force` removes
 * anyway, saying what it discarded and keeping every such commit where it can be recovered.
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
    await Promise.all([journal.removeStaleTemps(lane), sweepStaleViews()]);
    const busy = (await opts.inUse?.(lane)) ?? [];
    if (busy.length > 0) {
      throw new IsolaneError('LANE_IN_USE', `lane ${lane} is in use: ${busy.join('; ')}`, {
        hint: 'wait until it is released (`isolane release`) and its commands end, or remove it with `isolane down`',
        data: { lane, reasons: busy },
      });
    }
    const record = await readRecord(project, lane, opts.force === true);
    if (record === 'record-removed') {
      await laneLock.releaseAndRemove();
      return { ...emptyReport(lane, project.lanePath(lane), '?'), recordOnly: true };
    }
    if (!record) {
      await laneLock.releaseAndRemove();
      throw new IsolaneError('LANE_NOT_FOUND', `no lane named ${lane} in ${project.repo.root}`, { hint: '`isolane ls` lists the lanes' });
    }
    const strategy = await project.strategy(record.strategy);
    let report: DownReport;
    // A lane being removed as decided (half-made, or its removal interrupted): its services go first.
    const stopNotes = record.state === 'creating' || record.state === 'removing' ? await stopServices(project, record) : [];
    if (record.state === 'creating') {
      // Never finished creation, so nobody worked in it: remove whatever part exists.
      await strategy.destroy(record, { force: true, halfMade: true });
      await project.withRepoLock(() => dropLaneRefs(ctx, project.repo.root, lane));
      report = { ...emptyReport(lane, record.path, record.strategy), wasHalfMade: true };
    } else if (record.state === 'removing') {
      // Its checks passed and removal began: finish it as decided, whatever part is gone.
      ctx.logger.progress(`finishing the interrupted removal of lane ${lane}`);
      await strategy.destroy(record, { force: true, halfMade: false });
      report = { ...(await finishRemoval(project, record, nothingLost, undefined)), finishedInterrupted: true };
    } else {
      // A sync killed mid-rebase is undone first: the lane is judged as it was.
      const recovered = await recoverInterruptedSync(project, record, strategy).catch(async (e: unknown) => {
        if (opts.force !== true) throw e;
        await removeSyncMarker(project.stateDir, lane);
        return `an interrupted sync could not be undone (${e instanceof Error ? e.message : String(e)}): removed anyway (--force)`;
      });
      report = await removeLane(project, strategy, record, opts);
      if (recovered) report = { ...report, notes: [...(report.notes ?? []), recovered] };
    }
    // The checkout is gone: what the lane held beside it goes too (the record still names it until here).
    const unreleased = [...stopNotes, ...(await release(project, record))];
    if (unreleased.length > 0) report = { ...report, notes: [...(report.notes ?? []), ...unreleased] };
    await journal.remove(lane);
    await laneLock.releaseAndRemove();
    return report;
  } finally {
    await laneLock.release();
  }
}

/**
 * The lane's record, checked against what isolane would have made; else a lane isolane can prove
 * it made (an orphan). With --force a corrupt or mismatched record is removed, and only that.
 */
async function readRecord(project: Project, lane: string, force: boolean): Promise<LaneRecord | 'record-removed' | undefined> {
  let record: LaneRecord | undefined;
  try {
    record = await project.journal.read(lane);
    if (record) project.checkRecord(record);
  } catch (e) {
    if (!force || !(isIsolaneError(e, 'BAD_RECORD') || (isIsolaneError(e, 'INTERNAL') && e.data?.corrupt === true))) throw e;
    project.ctx.logger.warn(`${e instanceof Error ? e.message : String(e)}: removing only the record`);
    await project.journal.remove(lane);
    return 'record-removed';
  }
  return record ?? (await findOrphan(project, lane));
}

function emptyReport(lane: string, path: string, strategy: string): DownReport {
  return { lane, path, strategy, deletedBranch: undefined, keptBranch: undefined, discarded: { ...nothingLost, keptUnder: undefined }, wasHalfMade: false, finishedInterrupted: false, recordOnly: false };
}

async function removeLane(project: Project, strategy: Strategy, record: LaneRecord, opts: DownOptions): Promise<DownReport> {
  const { ctx, repo } = project;
  const force = opts.force === true;
  const keepBranch = opts.keepBranch === true;
  // Its work is judged on its files as they are: a lost mount is made again first.
  await strategy.ready?.(record);
  const access = await strategy.open(record);
  let loss: Loss;
  let move: BranchMove | undefined;
  try {
    const unchecked = [...access.unchecked];
    const reader = access.reader;
    const noteFailure = (what: string) => (e: unknown): undefined => {
      unchecked.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    };
    // A worktree's own removal refuses uncommitted files at the moment it removes (one tree
    // scan, not two); every other lane is checked here. Teardown steps run only once every
    // check has passed (never for a down that then refuses), and may write files (logs, dumps):
    // with teardown steps, a worktree is checked here too, before them, and its removal after
    // them is forced, so the teardown's own files cannot make it refuse after the teardown ran.
    const tearsDown = project.config.teardown.length > 0;
    // Running services are stopped once the checks pass: the files are checked here too, so a refused down leaves them running.
    const serving = (await runningServices(project, record.lane)).length > 0;
    const leaveToRemoval = !force && strategy.removalRefusesDirty === true && !tearsDown && !serving;
    const [files, submoduleCommits] = reader && !leaveToRemoval
      ? await Promise.all([dirtyFiles(reader).catch(noteFailure('its files could not be checked')), unsavedSubmoduleCommits(reader).catch(noteFailure('its submodules could not be checked'))])
      : [undefined, undefined];
    let homeFailed = false;
    const tips = await project.withRepoLock(async () => {
      const home = await access.bringHome().catch((e: unknown) => {
        homeFailed = true;
        return noteFailure('its commits could not be brought home')(e);
      });
      // A branch that is kept moves forward to the lane's; one about to be deleted need not.
      const laneTip = home?.find((t) => t.key === headsRef(record.branch) && t.rev !== headsRef(record.branch));
      move = laneTip && keepBranch ? await fastForwardBranch(ctx, repo.root, record.branch, laneTip.rev) : undefined;
      return home ?? [];
    });
    const branch: LaneTip = { label: record.branch, rev: headsRef(record.branch), key: headsRef(record.branch) };
    const base = headsRef(record.base);
    const withBase = isGitRefName(base) && base !== branch.rev;
    const [branchOid, baseOid] = await resolveRevisions(ctx, repo.root, withBase ? [branch.rev, base] : [branch.rev]);
    const all = branchOid && !tips.some((t) => t.rev === branch.rev) ? [branch, ...tips] : tips;
    // A lane with nothing of its own (every tip is its base branch's very commit): the base holds
    // it all, and no walk of the history is needed to say so.
    const heldByBase = baseOid !== undefined && all.every((t) => (t.rev === branch.rev ? branchOid?.oid : t.rev) === baseOid.oid);
    const unsaved = heldByBase ? [] : await unsavedCommits(ctx, repo.root, record.lane, all, { branch: record.branch, keepBranch });
    const inBase = opts.merged ? await mergedCommits(project, opts.merged, unsaved) : [];
    const commits = unsaved.filter((c) => !inBase.includes(c));
    loss = { files: files ?? [], commits, submoduleCommits: submoduleCommits ?? [], unchecked, ...(move?.kind === 'diverged' ? { diverged: true } : {}) };
    if (!force && hasLoss(loss)) {
      // Refused anyway: list the files too (left to the removal above), so the hint is complete.
      if (leaveToRemoval && reader) {
        const [more, subs] = await Promise.all([dirtyFiles(reader).catch(noteFailure('its files could not be checked')), unsavedSubmoduleCommits(reader).catch(noteFailure('its submodules could not be checked'))]);
        loss = { ...loss, files: more ?? [], submoduleCommits: subs ?? [], unchecked };
      }
      throw wouldLose(record.lane, record.branch, loss);
    }
    const kept = force ? unsaved : inBase;
    const keptUnder = kept.length > 0 ? await keepDiscarded(project, record.lane, all, kept) : undefined;
    const removing: LaneRecord = { ...record, state: 'removing', removal: keepBranch || !branchOid ? {} : { deleteBranchAt: branchOid.oid } };
    // What the namespace holds, when the fetch home said so (a failed one may have left part of it).
    const mirrored = homeFailed ? undefined : tips.map((t) => t.rev).filter((rev) => rev.startsWith(`${laneRefNamespace(record.lane)}/`));
    await project.journal.write(removing);
    await checkpoint(ctx, 'down:removing');
    // Every check passed: the lane's services stop before its teardown and removal (a refused down left them running).
    const stopNotes = await stopServices(project, removing);
    const teardownNotes = [...stopNotes, ...(await beforeRemoval(project, removing, strategy))];
    ctx.logger.progress(`removing lane ${record.lane} at ${record.path}`);
    try {
      await strategy.destroy(record, { force: force || tearsDown, halfMade: false });
    } catch (e) {
      // The removal itself found uncommitted work (unlisted above, or made since): nothing was removed.
      if (e instanceof WouldLoseWorkError) {
        await project.journal.write(record);
        const data = e.data as { files?: string[]; submoduleCommits?: SubmoduleCommits[] } | undefined;
        throw wouldLose(record.lane, record.branch, { ...loss, files: data?.files ?? [], submoduleCommits: data?.submoduleCommits ?? loss.submoduleCommits });
      }
      throw e;
    }
    const report = await finishRemoval(project, removing, force ? loss : nothingLost, keptUnder, keepBranch, mirrored);
    return teardownNotes.length > 0 ? { ...report, notes: teardownNotes } : report;
  } finally {
    await access.close();
  }
}

/** Of the unsaved commits, those the tip found merged holds and its base lacks. */
async function mergedCommits(project: Project, merged: NonNullable<DownOptions['merged']>, unsaved: readonly UnsavedCommit[]): Promise<UnsavedCommit[]> {
  if (unsaved.length === 0) return [];
  const oid = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
  if (!oid.test(merged.tip) || !oid.test(merged.base)) throw new IsolaneError('USAGE', 'merged: tip and base must be object ids');
  const r = await runGit(project.ctx, project.repo.root, ['rev-list', '--end-of-options', merged.tip, `^${merged.base}`], { okExitCodes: [128] });
  const held = new Set(r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : []);
  return unsaved.filter((c) => held.has(c.oid));
}

function hasLoss(l: Loss): boolean {
  return l.files.length > 0 || l.commits.length > 0 || l.submoduleCommits.length > 0 || l.unchecked.length > 0;
}

/**
 * Deletes the branch as decided (compare-and-swap) and the lane's namespace, in one transaction
 * when the refs it holds are known; the checkout is gone already.
 */
async function finishRemoval(
  project: Project,
  record: LaneRecord,
  discarded: Loss,
  keptUnder: string | undefined,
  keepBranch = false,
  mirrored?: readonly string[],
): Promise<DownReport> {
  const { ctx, repo } = project;
  const oid = record.removal?.deleteBranchAt;
  const branch = headsRef(record.branch);
  let deletedBranch: DownReport['deletedBranch'];
  let keptBranch: DownReport['keptBranch'];
  await project.withRepoLock(async () => {
    const dropAll = mirrored ? mirrored.map((r) => `delete ${r}\n`).join('') : undefined;
    if (oid && dropAll !== undefined) {
      const both = await runGit(ctx, repo.root, ['update-ref', '--stdin'], { input: `delete ${branch} ${oid}\n${dropAll}`, okExitCodes: [128] });
      if (both.exitCode === 0) {
        deletedBranch = { name: record.branch, oid };
        return;
      }
    }
    if (oid) {
      const result = await runGit(ctx, repo.root, gitCommands.deleteRef(branch, oid), { okExitCodes: [1, 128] });
      // Gone already counts as deleted: an interrupted removal may have got that far.
      const gone = result.exitCode !== 0 && (await resolveRevisions(ctx, repo.root, [branch]))[0] === undefined;
      if (result.exitCode === 0 || gone) deletedBranch = { name: record.branch, oid };
      else keptBranch = { name: record.branch, reason: `it moved after it was checked (was ${oid.slice(0, 12)}); nothing was lost` };
    } else if (keepBranch) {
      keptBranch = { name: record.branch, reason: '--keep-branch' };
    }
    if (dropAll === undefined) await dropLaneRefs(ctx, repo.root, record.lane);
    else if (dropAll !== '') await runGit(ctx, repo.root, ['update-ref', '--stdin'], { input: dropAll });
  });
  return { ...emptyReport(record.lane, record.path, record.strategy), deletedBranch, keptBranch, discarded: { ...discarded, keptUnder } };
}

/**
 * Keeps the tips through which --force would lose commits under
 * `refs/isolane/discarded/<lane>/<time>/`, so each can be recovered; returns that prefix.
 */
async function keepDiscarded(project: Project, lane: string, tips: readonly LaneTip[], commits: readonly UnsavedCommit[]): Promise<string> {
  const stamp = project.ctx.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const prefix = `${discardedNamespace(lane)}/${stamp}`;
  const holding = new Set(commits.map((c) => c.tip));
  const keys = new Set<string>();
  const lines = tips
    .filter((t) => holding.has(t.label) && !keys.has(t.key) && keys.add(t.key))
    .map((t) => `update ${prefix}/${t.key} ${t.rev}\n`);
  await project.withRepoLock(() => runGit(project.ctx, project.repo.root, ['update-ref', '--stdin'], { input: lines.join('') }));
  return prefix;
}

function wouldLose(lane: string, branch: string, loss: Loss): WouldLoseWorkError {
  return new WouldLoseWorkError('WOULD_LOSE_WORK', describeLoss(lane, loss), { hint: nextSteps(lane, branch, loss), data: { lane, ...loss } });
}

/** Only what would succeed: --keep-branch is offered when the branch alone holds the unsaved commits. */
function nextSteps(lane: string, branch: string, loss: Loss): string {
  const steps: string[] = [];
  if (loss.files.length > 0) steps.push('commit or remove the uncommitted files');
  const others = loss.commits.filter((c) => c.tip !== branch);
  if (loss.commits.length > 0 && others.length === 0) {
    steps.push(loss.diverged ? `merge the lane's commits into ${branch} (see \`isolane fetch ${lane}\`)` : `merge or push ${branch}`);
    if (loss.files.length === 0 && loss.submoduleCommits.length === 0 && loss.unchecked.length === 0 && !loss.diverged) steps.push('or keep the branch with --keep-branch');
  } else if (others.length > 0) {
    steps.push(`merge or push what ${[...new Set(others.map((c) => c.tip))].slice(0, 3).join(', ')} hold${others.length === 1 ? 's' : ''}`);
  }
  if (loss.submoduleCommits.length > 0) steps.push('push the submodule commits');
  if (loss.unchecked.length > 0) steps.push('fix what could not be checked');
  return `${steps.join(', ')}; or remove it anyway with \`isolane down ${lane} --force\` (commits are then kept under ${discardedNamespace(lane)}/)`;
}
