import type { Strategy } from '../../strategies/strategy.js';
import { isIsolaneError } from '../errors.js';
import { headsRef } from '../git/names.js';
import { commitsToReplay, isAncestor, predictConflicts, rebaseInProgress, rebaseOnto, unmergedFiles, type GitRunner } from '../git/rebase.js';
import { runGit } from '../git/run-git.js';
import { dirtyFiles } from '../lane/inspect.js';
import { laneLockfileHash } from '../resources/setup/run-setup.js';
import { setupAgainHeld } from '../resources/setup/setup-again.js';
import { checkpoint } from './checkpoint.js';
import type { LaneRecord } from './journal.js';
import { laneGit, type LaneGit } from './lane-git.js';
import type { Project } from './project.js';
import { readIndex, readSyncMarker, removeSyncMarker, sha256, writeSyncMarker, type SyncMarker } from './sync-marker.js';
import { recoverInterruptedSync, rollBack } from './sync-rollback.js';

export type LaneSyncResult = 'rebased' | 'up-to-date' | 'would-rebase' | 'conflict' | 'skipped' | 'failed';

/** How one lane's sync ended. */
export interface LaneSync {
  readonly lane: string;
  readonly result: LaneSyncResult;
  /** The base branch it was synced with. */
  readonly base?: string;
  /** The branch's commit before, and (rebased) after. */
  readonly from?: string;
  readonly to?: string;
  /** Commits replayed (rebased), or that would be (would-rebase, conflict). */
  readonly commits?: number;
  /** conflict: the files; with a real rebase the lane was rolled back (`rolledBack`). */
  readonly files?: readonly string[];
  readonly rolledBack?: boolean;
  /** What git's abort left different and isolane put back explicitly. */
  readonly restored?: readonly string[];
  /** skipped: why. */
  readonly reason?: string;
  /** An interrupted earlier sync of the lane that was undone first. */
  readonly recovered?: string;
  /** The rebase changed the lane's lockfile, so its set-up ran again. */
  readonly setup?: { readonly ok: boolean; readonly error?: string };
  readonly error?: { readonly code: string; readonly message: string };
}

/** The commit a lane is synced onto, by base branch. */
export interface SyncTarget {
  readonly ref: string;
  readonly oid: string;
}

const skipped = (lane: string, reason: string, extra: Partial<LaneSync> = {}): LaneSync => ({ lane, result: 'skipped', reason, ...extra });

/**
 * Syncs one lane with its base's target (sync.ts has chosen it and fetched), holding the lane:
 * checks it is settled, clean and on its branch, then rebases it (or, dry, predicts), rolling a
 * conflicting rebase back to exactly the lane it was.
 */
export async function syncLane(project: Project, lane: string, targets: ReadonlyMap<string, SyncTarget | string>, dryRun: boolean): Promise<LaneSync> {
  const { ctx, journal } = project;
  // A dry run only looks: a shared hold that makes no lock file.
  const hold = await project.tryLaneLock(lane, ctx.lockTimeoutMs, dryRun, dryRun);
  if (!hold) return skipped(lane, `busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`);
  try {
    const record = await journal.read(lane);
    if (!record) return skipped(lane, 'it was removed meanwhile');
    if (record.state !== 'ready' && record.state !== 'setup-failed') return skipped(lane, `it is ${record.state}, not settled`);
    try {
      project.checkRecord(record);
    } catch (e) {
      return skipped(lane, e instanceof Error ? e.message : String(e));
    }
    const base = record.base || (await project.baseBranch());
    const target = targets.get(base);
    if (target === undefined || typeof target === 'string') return skipped(lane, target ?? `its base ${base} was not resolved`, { base });
    const strategy = await project.strategy(record.strategy);
    await strategy.ready?.(record);
    const lg = await laneGit(project, record, strategy);
    if (typeof lg === 'string') return skipped(lane, lg, { base });
    let recovered: string | undefined;
    if (dryRun) {
      if (await readSyncMarker(project.stateDir, lane)) return skipped(lane, `an interrupted sync left it mid-rebase: \`isolane sync ${lane}\` rolls that back first`, { base });
    } else {
      recovered = await recoverInterruptedSync(project, record, strategy, lg);
    }
    const withRecovered = (r: LaneSync): LaneSync => (recovered ? { ...r, recovered } : r);
    const why = await whyNot(lg, record, strategy);
    if (why) return withRecovered(skipped(lane, why, { base }));
    const tip = (await lg.git(['rev-parse', '--verify', '--end-of-options', headsRef(record.branch)])).stdout.trim();
    const result = dryRun ? await predict(project, record, lg, tip, target) : await rebase(project, record, lg, tip, target);
    return withRecovered({ ...result, lane: result.lane, base });
  } catch (e) {
    return { lane, result: 'failed', error: { code: isIsolaneError(e) ? e.code : 'INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  } finally {
    await hold.release();
  }
}

/** Why the lane is not rebased as it is (a rebase under way, HEAD elsewhere, uncommitted work); undefined when it can be. */
async function whyNot(lg: LaneGit, record: LaneRecord, strategy: Strategy): Promise<string | undefined> {
  if (await rebaseInProgress(lg.gitDir)) return 'a rebase is in progress in it (not one of isolane\'s): finish or abort it there';
  const head = (await lg.git(['symbolic-ref', '--quiet', 'HEAD'], { okExitCodes: [1] })).stdout.trim();
  if (head !== headsRef(record.branch)) return head ? `its checkout is on ${head.replace(/^refs\/heads\//, '')}, not on its branch ${record.branch}` : `its HEAD is detached, not on its branch ${record.branch}`;
  const access = await strategy.open(record);
  try {
    if (access.unchecked.length > 0) return `it cannot be read safely: ${access.unchecked.join('; ')}`;
    if (!access.reader) return 'its checkout cannot be read';
    const dirty = await dirtyFiles(access.reader);
    if (dirty.length > 0) return `it has uncommitted work (${dirty.length} file${dirty.length === 1 ? '' : 's'}: ${dirty.slice(0, 5).map((l) => l.slice(3)).join(', ')}${dirty.length > 5 ? ', ...' : ''})`;
    return undefined;
  } finally {
    await access.close();
  }
}

/** --dry-run: what a rebase would do, worked out in the main repository (nothing moves, no lane file is written). */
async function predict(project: Project, record: LaneRecord, lg: LaneGit, tip: string, target: SyncTarget): Promise<Omit<LaneSync, 'base'>> {
  const { ctx, repo } = project;
  const main: GitRunner = (argv, opts = {}) => runGit(ctx, repo.root, argv, opts);
  if (!lg.sharesObjects) {
    const present = await main(['cat-file', '-e', '--end-of-options', `${tip}^{commit}`], { okExitCodes: [1, 128] });
    if (present.exitCode !== 0) return skipped(record.lane, `cannot predict: its commits are not in the main repository yet (\`isolane fetch ${record.lane}\` brings them)`);
  }
  if (await isAncestor(main, target.oid, tip)) return { lane: record.lane, result: 'up-to-date', from: tip };
  const [{ clean, files }, commits] = await Promise.all([predictConflicts(ctx, repo.root, target.oid, tip), commitsToReplay(main, target.oid, tip)]);
  return clean ? { lane: record.lane, result: 'would-rebase', from: tip, commits } : { lane: record.lane, result: 'conflict', from: tip, commits, files, rolledBack: false };
}

/** The target commit in the lane's own object store: a clone lane fetches it from the main repository. */
async function ensureTarget(project: Project, lg: LaneGit, oid: string): Promise<string | undefined> {
  if (lg.sharesObjects) return undefined;
  const has = async (): Promise<boolean> => (await lg.git(['cat-file', '-e', '--end-of-options', `${oid}^{commit}`], { okExitCodes: [1, 128] })).exitCode === 0;
  if (await has()) return undefined;
  if (!lg.onHost) return `its repository lacks ${oid.slice(0, 12)} and isolane fetches nothing into a container`;
  await lg.git(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', project.repo.root, oid]);
  return (await has()) ? undefined : `${oid.slice(0, 12)} could not be fetched into it`;
}

async function rebase(project: Project, record: LaneRecord, lg: LaneGit, tip: string, target: SyncTarget): Promise<Omit<LaneSync, 'base'>> {
  const { ctx, stateDir } = project;
  const lane = record.lane;
  const missing = await ensureTarget(project, lg, target.oid);
  if (missing) return skipped(lane, missing);
  if (await isAncestor(lg.git, target.oid, tip)) return { lane, result: 'up-to-date', from: tip };
  const index = await readIndex(lg.gitDir);
  const marker: SyncMarker = { version: 1, lane, branch: record.branch, oid: tip, head: headsRef(record.branch), indexSha256: index ? sha256(index) : null, startedAt: ctx.now().toISOString(), pid: process.pid };
  const lockfileBefore = project.config.setup.length > 0 ? await laneLockfileHash(project, record) : undefined;
  await writeSyncMarker(stateDir, marker, index);
  ctx.logger.progress(`rebasing lane ${lane} onto ${target.ref} (${target.oid.slice(0, 12)})`);
  await checkpoint(ctx, 'sync:rebasing');
  let stopped: boolean;
  try {
    ({ stopped } = await rebaseOnto(lg.git, target.oid));
  } catch (e) {
    // git refused or failed outright: whatever it began is undone before the error goes up.
    await rollBack(project, lg, marker);
    await removeSyncMarker(stateDir, lane);
    throw e;
  }
  if (stopped) {
    const files = await unmergedFiles(lg.git);
    await checkpoint(ctx, 'sync:conflicted');
    const { restored } = await rollBack(project, lg, marker);
    await removeSyncMarker(stateDir, lane);
    const commits = await commitsToReplay(lg.git, target.oid, tip).catch(() => undefined);
    return { lane, result: 'conflict', from: tip, files, rolledBack: true, ...(commits === undefined ? {} : { commits }), ...(restored.length > 0 ? { restored } : {}) };
  }
  await removeSyncMarker(stateDir, lane);
  const to = (await lg.git(['rev-parse', '--verify', '--end-of-options', headsRef(record.branch)])).stdout.trim();
  const commits = Number((await lg.git(['rev-list', '--count', '--end-of-options', `${target.oid}..${to}`])).stdout.trim()) || 0;
  const rebased: LaneSync = { lane, result: 'rebased', from: tip, to, commits };
  if (project.config.setup.length === 0 || lockfileBefore === (await laneLockfileHash(project, record))) return rebased;
  ctx.logger.progress(`lane ${lane}: its lockfile changed, running its set-up again`);
  try {
    await setupAgainHeld(project, lane);
    return { ...rebased, setup: { ok: true } };
  } catch (e) {
    if (!isIsolaneError(e, 'SETUP_FAILED')) throw e;
    return { ...rebased, setup: { ok: false, error: e.message } };
  }
}
