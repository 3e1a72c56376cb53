import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Leftover, SweepKit } from '../../strategies/strategy.js';
import { isIsolaneError, WouldLoseWorkError } from '../errors.js';
import { runGit } from '../git/run-git.js';
import { readActivity } from '../lane/activity.js';
import { lstatOrUndefined } from '../fs/safe-read.js';
import { dropStaleDatabase, staleDatabases } from '../resources/database/stale.js';
import { listLeases, releasePorts } from '../resources/ports/leases.js';
import { removeLaneCgroup, staleLaneCgroups } from '../limits/confine.js';
import { laneDiskMeter } from './disk.js';
import { down, type DownReport } from './down.js';
import { appendGcLog, type GcLogEntry } from './gc-log.js';
import { judgeLane, repoFacts, type GcLaneOptions, type LaneVerdict } from './gc-lanes.js';
import { removeLaneState, staleLaneState } from './gc-state.js';
import { inUseReasons } from './in-use.js';
import { list } from './list.js';
import type { Project } from './project.js';

export interface GcOptions extends GcLaneOptions {
  /** Remove what the plan names; without it gc only plans (changes nothing). */
  readonly act?: boolean;
}

/** A lane gc removes or keeps, with its disk. */
export type GcLane = LaneVerdict & { readonly bytes?: number };

/** What gc found and, when it acted, what became of each. */
export interface GcResult {
  readonly acted: boolean;
  /** Every lane, with what gc does (or did) with it and why. */
  readonly lanes: ReadonlyArray<GcLane & { readonly outcome?: 'removed' | 'kept' | 'failed'; readonly detail?: string }>;
  /** Parts of lanes that no longer exist: worktree metadata, leases, databases, layers, containers' volumes, state files. */
  readonly leftovers: readonly Leftover[];
  /** Disk the lanes to remove take (bytes). */
  readonly reclaimableBytes: number;
  /** What could not be looked at (a database server that does not answer ...). */
  readonly notes: readonly string[];
}

/**
 * Reconciles isolane's records with what exists, across every layer, and (with `act`) removes what
 * belongs to no lane and the lanes that are broken, or merged or idle when asked. Never a lane in
 * use or one holding work: each removal is `down` itself, which checks again, holding the lane.
 * One gc at a time per repository; `up`, `down` and `run` go on beside it (each leftover is taken
 * holding its lane, after checking again that the lane is still gone).
 */
export async function gc(project: Project, opts: GcOptions = {}): Promise<GcResult> {
  // A plan only reads: it takes no lock, and writes nothing (not even a lock file).
  const whole = <T>(fn: () => Promise<T>): Promise<T> => (opts.act ? project.withJobLock('gc', fn) : fn());
  return whole(async () => {
    const plan = await planLanes(project, opts);
    const live = new Set(plan.summaries.map((s) => s.lane));
    const notes: string[] = [];
    const ifStillGone = (lane: string, fn: () => Promise<void>): Promise<boolean> => stillGone(project, lane, fn);
    if (!opts.act) {
      const leftovers = await findLeftovers(project, live, false, notes, ifStillGone);
      return { acted: false, lanes: plan.lanes, leftovers, reclaimableBytes: reclaimable(plan.lanes), notes };
    }
    const lanes = [];
    const log: GcLogEntry[] = [];
    for (const v of plan.lanes) {
      if (!v.remove) {
        lanes.push(v);
        continue;
      }
      const done = await removeLane(project, v);
      lanes.push({ ...v, ...done.outcome });
      if (done.report) log.push(logEntry(project, v, done.report));
    }
    const leftovers = await findLeftovers(project, live, true, notes, ifStillGone);
    for (const l of leftovers.filter((x) => x.removed)) log.push({ at: project.ctx.now().toISOString(), what: l.what, ...(l.lane ? { lane: l.lane } : {}), why: l.why });
    await appendGcLog(project.stateDir, log);
    return { acted: true, lanes, leftovers, reclaimableBytes: reclaimable(plan.lanes), notes };
  });
}

const reclaimable = (lanes: readonly GcLane[]): number => lanes.filter((l) => l.remove).reduce((sum, l) => sum + (l.bytes ?? 0), 0);

async function planLanes(project: Project, opts: GcLaneOptions) {
  const [summaries, facts] = await Promise.all([list(project), repoFacts(project)]);
  const measure = laneDiskMeter(project);
  const lanes: GcLane[] = [];
  for (const s of summaries) {
    const verdict = await judgeLane(project, s, opts, facts);
    const bytes = verdict.remove && s.state !== 'missing' && (await lstatOrUndefined(s.path)) !== undefined ? await measure({ lane: s.lane, strategy: s.strategy, path: s.path, ...((await project.journal.read(s.lane).catch(() => undefined)) ?? {}) }) : undefined;
    lanes.push(bytes === undefined ? verdict : { ...verdict, bytes });
  }
  return { summaries, lanes };
}

/** The lane goes as `down` takes it; work found at removal keeps it (a lane whose directory is gone loses its checkout only). */
async function removeLane(project: Project, v: LaneVerdict): Promise<{ outcome: { outcome: 'removed' | 'kept' | 'failed'; detail?: string }; report?: DownReport }> {
  const opts = { inUse: (lane: string) => inUseReasons(project, lane), ...(v.merged ? { merged: { tip: v.merged.tip, base: v.merged.base } } : {}) };
  project.ctx.logger.progress(`gc: removing lane ${v.lane} (${v.reasons.join('; ')})`);
  try {
    const report = await down(project, v.lane, opts);
    return { outcome: { outcome: 'removed' }, report };
  } catch (e) {
    // Nothing of it is left to work in, but its branch holds commits: the branch stays, the rest goes.
    if (e instanceof WouldLoseWorkError && v.gone) {
      const data = e.data as { files?: unknown[]; commits?: unknown[]; submoduleCommits?: unknown[]; unchecked?: unknown[] } | undefined;
      if ((data?.files?.length ?? 0) === 0 && (data?.unchecked?.length ?? 0) === 0) {
        const report = await down(project, v.lane, { ...opts, keepBranch: true }).catch(() => undefined);
        if (report) return { outcome: { outcome: 'removed', detail: `its branch ${report.keptBranch?.name ?? ''} is kept: it holds ${data?.commits?.length ?? 0} commit(s) no other ref holds` }, report };
      }
    }
    if (isIsolaneError(e)) {
      const kept = e.code === 'WOULD_LOSE_WORK' || e.code === 'LANE_IN_USE' || e.code === 'LANE_BUSY';
      return { outcome: { outcome: kept ? 'kept' : 'failed', detail: e.message } };
    }
    return { outcome: { outcome: 'failed', detail: e instanceof Error ? e.message : String(e) } };
  }
}

function logEntry(project: Project, v: LaneVerdict, r: DownReport): GcLogEntry {
  const branch = r.deletedBranch ?? (v.merged ? { name: r.keptBranch?.name ?? '', oid: v.merged.tip } : undefined);
  return {
    at: project.ctx.now().toISOString(),
    what: `lane ${v.lane} (${v.strategy})`,
    lane: v.lane,
    why: v.reasons.join('; '),
    path: r.path,
    ...(branch && branch.name ? { branch } : {}),
    ...(r.discarded.keptUnder ? { keptUnder: r.discarded.keptUnder } : {}),
  };
}

/** Holding the lane, and only if it still has no record and no directory: a lane made meanwhile keeps what is its own. */
async function stillGone(project: Project, lane: string, fn: () => Promise<void>): Promise<boolean> {
  const lock = await project.tryLaneLock(lane, 0);
  if (!lock) return false;
  try {
    if ((await project.journal.readText(lane).catch(() => 'unreadable')) !== undefined) return false;
    if ((await lstatOrUndefined(project.lanePath(lane))) !== undefined) return false;
    await fn();
    return true;
  } finally {
    await lock.releaseAndRemove();
  }
}

/** Everything of lanes not in `live`, found (and removed when `act`) layer by layer. */
async function findLeftovers(project: Project, live: ReadonlySet<string>, act: boolean, notes: string[], ifStillGone: SweepKit['ifStillGone']): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const take = async (item: Leftover, lane: string | undefined, fn: () => Promise<void>): Promise<void> => {
    if (!act) return void found.push(item);
    try {
      const ran = lane === undefined ? (await fn(), true) : await ifStillGone(lane, fn);
      found.push({ ...item, removed: ran, ...(ran ? {} : { error: 'its lane came back' }) });
    } catch (e) {
      found.push({ ...item, removed: false, error: e instanceof Error ? e.message : String(e) });
    }
  };

  // Worktree metadata whose directory is gone (git's own prune: it keeps locked ones).
  const { ctx, repo } = project;
  const listed = await runGit(ctx, repo.root, ['worktree', 'list', '--porcelain']);
  const prunable = listed.stdout.split('\n\n').filter((b) => /^prunable /m.test(b)).map((b) => /^worktree (.*)$/m.exec(b)?.[1] ?? '?');
  if (prunable.length > 0) {
    await take({ what: `git worktree metadata of ${prunable.join(', ')}`, why: 'their directories are gone' }, undefined, () =>
      project.withRepoLock(async () => void (await runGit(ctx, repo.root, ['worktree', 'prune']))),
    );
  }

  for (const name of project.strategyNames()) {
    const strategy = await project.strategy(name);
    if (!strategy.sweep) continue;
    try {
      found.push(...(await strategy.sweep({ live, act, ifStillGone })));
    } catch (e) {
      notes.push(`${name}: its leftovers could not be looked for: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const leases = (await listLeases(project).catch(() => [])).filter((l) => !live.has(l.lane));
  for (const lane of new Set(leases.map((l) => l.lane))) {
    const ports = leases.filter((l) => l.lane === lane).map((l) => l.port);
    await take({ what: `port lease${ports.length === 1 ? '' : 's'} ${ports.join(', ')}`, lane, why: `lane ${lane} no longer exists` }, lane, () => releasePorts(project, lane));
  }

  try {
    for (const db of await staleDatabases(project, live)) {
      await take({ what: `database ${db.name}`, lane: db.lane, why: `lane ${db.lane} no longer exists` }, db.lane, () => dropStaleDatabase(project, db));
    }
  } catch (e) {
    notes.push(`lane databases could not be listed: ${e instanceof Error ? e.message : String(e)}`);
  }

  for (const lane of await staleLaneCgroups(project, live).catch(() => [] as string[])) {
    await take({ what: `cgroups of lane ${lane}`, lane, why: `lane ${lane} no longer exists` }, lane, async () => {
      const left = await removeLaneCgroup(project, lane);
      if (left.length > 0) throw new Error(left.join('; '));
    });
  }

  for (const s of await staleLaneState(project.stateDir, live)) {
    await take({ what: `isolane state ${path.relative(project.stateDir, s.file)}`, lane: s.lane, why: `lane ${s.lane} no longer exists` }, s.lane, () => removeLaneState(s.file));
  }

  if (act) await sweepQuietly(project, live);
  return found;
}

/** Lock files of lanes that are gone and the activity of commands that ended: bookkeeping, not worth a line. */
async function sweepQuietly(project: Project, live: ReadonlySet<string>): Promise<void> {
  const dir = path.join(project.stateDir, 'lanes');
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const lane of names.filter((n) => n.endsWith('.lock')).map((n) => n.slice(0, -'.lock'.length))) {
    if (!live.has(lane)) await stillGone(project, lane, () => Promise.resolve()).catch(() => undefined);
  }
  for (const lane of live) {
    const { stale } = await readActivity(project.stateDir, lane);
    await Promise.all(stale.map((f) => fsp.rm(f, { force: true })));
  }
}
