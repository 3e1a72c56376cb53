import { availableParallelism } from 'node:os';
import type { LaneAccess, OpenHints } from '../../strategies/strategy.js';
import type { PublishedPort } from '../docker/ports.js';
import { headsRef, isGitRefName } from '../git/names.js';
import { resolveRevisions } from '../git/resolve.js';
import { aheadBehind, filesAndCounts } from '../lane/inspect.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';
import { findExisting } from './reconcile.js';
import { setupStatus } from '../resources/setup/needs-setup.js';
import { laneMemoryUsage } from '../limits/usage.js';
import { serviceSummaries, type ServiceSummary } from '../services/status.js';

/**
 * - ready: recorded and present
 * - setup-failed: present, but a set-up step failed (`isolane setup` runs the steps again)
 * - creating / removing: another isolane process is at work on it now
 * - interrupted: a process died while creating or removing it (`up` or `down` finishes the job)
 * - missing: recorded, but its checkout is gone
 * - orphan: present in the lanes root with no record
 * - corrupt: its record cannot be read
 * - error: it could not be inspected (the note says why)
 */
export type LaneStatus = 'ready' | 'setup-failed' | 'creating' | 'removing' | 'interrupted' | 'missing' | 'unmounted' | 'orphan' | 'corrupt' | 'error';

export interface LaneSummary {
  readonly lane: string;
  readonly state: LaneStatus;
  readonly strategy: string;
  readonly branch: string | undefined;
  readonly path: string;
  readonly base: string | undefined;
  /** Number of uncommitted files; undefined when the checkout could not be read. */
  readonly dirty: number | undefined;
  /** Commits on the lane's branch that its base lacks, and the reverse. */
  readonly ahead: number | undefined;
  readonly behind: number | undefined;
  /** The branch's commit is contained in the base. */
  readonly merged: boolean | undefined;
  readonly createdAt: string | undefined;
  /** Why a lane is not ready, in words. */
  readonly note?: string;
  /** A running container lane's published ports: container port, and where the host serves it. */
  readonly ports?: readonly PublishedPort[];
  /** Its set-up should run again (failed, or its lockfile changed since); absent when the project has no set-up. */
  readonly needsSetup?: boolean;
  /** The commit its branch points at, as the lane sees it. */
  readonly tip?: string;
  /** What could not be checked in it, in words (its work is then unknown). */
  readonly unchecked?: readonly string[];
  /** Its branch has moved from the commit it started at (it has commits of its own). */
  readonly moved?: boolean;
  /** A part of it is gone (its container removed by hand): it cannot be used as it is. */
  readonly broken?: string;
  /** Disk its own files take (`ls --disk`): allocated bytes, shared objects and base checkouts not counted. */
  readonly diskBytes?: number;
  /** Memory its host lane's cgroup holds now (src/limits), in bytes; absent without limits or budget. */
  readonly memoryBytes?: number;
  /** Its services as last recorded (`isolane start`, `watch`); exited when a host service's process is gone. Absent when none ever ran. */
  readonly services?: ServiceSummary[];
}

/**
 * The lane as made at its createdAt: its status may come from one the CLI started before it read
 * this record (src/git/ahead.ts), never from one of a lane since removed and made again.
 */
const incarnation = (record: LaneRecord): string => `${record.lane}@${record.createdAt}`;

/** Made whole and at rest: a lane to inspect, not one in flight. */
const settled = (state: string): boolean => state === 'ready' || state === 'setup-failed';

/**
 * Lanes read at once: each read is mostly one `git status` (a walk of the lane's files, CPU and
 * disk), so twice the cores keeps them busy, up to 8 for disks slower than the page cache; at
 * least 2, so two lanes or fewer need no count of the cores (nor node:os loaded).
 */
const parallelism = (lanes: number): number => (lanes <= 2 ? lanes : Math.min(lanes, Math.max(2, Math.min(8, 2 * availableParallelism()))));

const unknownCounts = { dirty: undefined, ahead: undefined, behind: undefined, merged: undefined } as const;

/**
 * Every lane, reconciling the journal with what exists. Other isolane processes may be creating
 * and removing lanes meanwhile: whatever looks wrong is checked again against the journal, so a
 * lane in flight is never reported as missing, orphaned or interrupted.
 */
export async function list(project: Project): Promise<LaneSummary[]> {
  const { records, corrupt } = await project.journal.list();
  const summaries: LaneSummary[] = [];
  const queue = [...records];
  const mainRefs = await readMainRefs(project, records);
  // Each base branch is resolved once, however many lanes share it.
  const bases = new Map<string, Promise<string | undefined>>();
  const baseOf = (base: string): Promise<string | undefined> => {
    const ref = headsRef(base);
    if (mainRefs.has(ref)) return Promise.resolve(mainRefs.get(ref));
    let oid = bases.get(base);
    if (!oid) bases.set(base, (oid = resolveRevisions(project.ctx, project.repo.root, [ref]).then(([r]) => r?.oid)));
    return oid;
  };
  const look: Look = { baseOf, hints: { mainRefs } };
  const work = async (): Promise<void> => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const summary = await summarise(project, r, look);
      if (summary) summaries.push(summary);
    }
  };
  const reading = Promise.all(Array.from({ length: parallelism(queue.length) }, work));
  // What exists (git's worktree registry, lane markers, labelled containers) is read once the
  // lanes' first git processes have started, while they run: a lane made after the records were
  // read is found with no record, and is checked again below (found again, its lane lock free,
  // still no record) before it is called an orphan.
  const existingRead = new Promise<void>((started) => setImmediate(started)).then(() => findExisting(project)).then(
    (found) => ({ found }),
    (error: unknown) => ({ error }),
  );
  await reading;
  for (const c of corrupt) {
    summaries.push({ lane: c.lane, state: 'corrupt', strategy: '?', branch: undefined, path: c.file, base: undefined, createdAt: undefined, ...unknownCounts, note: c.problem });
  }
  const read = await existingRead;
  if ('error' in read) throw read.error;
  const existing = read.found;
  const recorded = new Set(records.map((r) => r.path));
  const candidates = existing.filter((f) => !recorded.has(f.path));
  // Still there now, with no record and nobody at work on it: a lane removed between the two
  // listings above is not an orphan.
  const confirmed = candidates.length === 0 ? new Set<string>() : new Set((await findExisting(project)).map((f) => f.path));
  for (const f of candidates) {
    if (!confirmed.has(f.path)) continue;
    if (f.lane && !(await isSettledWithoutRecord(project, f.lane))) continue;
    summaries.push({
      lane: f.lane ?? f.path,
      state: 'orphan',
      strategy: f.strategy,
      branch: f.branch,
      path: f.path,
      base: undefined,
      createdAt: undefined,
      ...unknownCounts,
      note: f.missing ? 'registered with git, directory gone' : 'no isolane record; `isolane down` can remove it',
    });
  }
  return summaries.sort((a, b) => a.lane.localeCompare(b.lane));
}

/** What one `ls` read once for all its lanes. */
interface Look {
  readonly baseOf: (base: string) => Promise<string | undefined>;
  readonly hints: OpenHints;
}

/**
 * The main repository's refs `ls` needs for many lanes (each lane's branch, each base), read with
 * one git process. A name git would not take as a ref is left out: its lane reads it alone, and
 * says what went wrong.
 */
async function readMainRefs(project: Project, records: readonly LaneRecord[]): Promise<Map<string, string | undefined>> {
  const names = [...new Set(records.filter((r) => settled(r.state)).flatMap((r) => [headsRef(r.branch), headsRef(r.base)]))].filter(isGitRefName);
  if (names.length === 0) return new Map();
  const oids = await resolveRevisions(project.ctx, project.repo.root, names);
  return new Map(names.map((name, i) => [name, oids[i]?.oid]));
}

/** Nobody is working on the lane and it still has no record. */
async function isSettledWithoutRecord(project: Project, lane: string): Promise<boolean> {
  const lock = await project.tryLaneLock(lane, 0, true);
  if (!lock) return false;
  await lock.release();
  return (await project.journal.read(lane).catch(() => undefined)) === undefined;
}

/** The record as it is now, after a moment in which another process may have changed it. */
function reread(project: Project, lane: string): Promise<LaneRecord | undefined> {
  return project.journal.read(lane).catch(() => undefined);
}

type Head = Pick<LaneSummary, 'lane' | 'strategy' | 'branch' | 'path' | 'base' | 'createdAt'>;

/**
 * A lane that looked wrong (gone, unmounted, unreadable) is said so only if its record, read
 * again, still has it at rest: `down` unmounts and removes a lane as it goes.
 */
async function unlessInFlight(project: Project, head: Head, state: LaneStatus, note: string): Promise<LaneSummary | undefined> {
  const now = await reread(project, head.lane);
  if (!now) return undefined; // removed while we looked
  if (!settled(now.state)) return { ...head, state: now.state as LaneStatus, ...unknownCounts };
  return { ...head, state, ...unknownCounts, note };
}

async function summarise(project: Project, record: LaneRecord, look: Look): Promise<LaneSummary | undefined> {
  const head = { lane: record.lane, strategy: record.strategy, branch: record.branch, path: record.path, base: record.base, createdAt: record.createdAt };
  if (!settled(record.state)) {
    const lock = await project.tryLaneLock(record.lane, 0, true);
    if (!lock) return { ...head, state: record.state, ...unknownCounts };
    await lock.release();
    const now = await reread(project, record.lane);
    if (!now) return undefined; // finished removing meanwhile
    if (settled(now.state)) return summarise(project, now, look);
    return { ...head, state: 'interrupted', ...unknownCounts, note: `${now.state} was interrupted; \`isolane down ${record.lane}\` cleans it up` };
  }
  let access: LaneAccess | undefined;
  try {
    project.checkRecord(record);
    const strategy = await project.strategy(record.strategy);
    // Looking changes nothing: a lane whose files need mounting again is said, not mounted.
    const standing = await strategy.state?.(record);
    if (standing === 'unmounted') return await unlessInFlight(project, head, 'unmounted', 'its files are not mounted (after a reboot?); any command that acts in the lane (run, shell, setup, fetch, down) mounts them again');
    access = await strategy.open(record, look.hints);
    if (!access.exists) return await unlessInFlight(project, head, 'missing', 'its directory is gone; `isolane down` removes the rest');
    const { reader } = access;
    const [status, tip, baseOid, setup, memory, services] = await Promise.all([
      reader ? filesAndCounts(reader, record.branch, record.base, incarnation(record)) : undefined,
      access.branchTip(),
      look.baseOf(record.base),
      setupStatus(project, record),
      laneMemoryUsage(project, record.lane),
      serviceSummaries(project, record).catch(() => []),
    ]);
    // A lane still at its base is neither ahead nor behind: no walk needed.
    // Counted by the status itself where it could (a worktree lane on its branch); a lane still at its base needs no count.
    const counts =
      !reader || !tip || !baseOid ? undefined : tip === baseOid ? { ahead: 0, behind: 0 } : status?.counts?.oid === tip ? status.counts : await aheadBehind(reader, baseOid, tip);
    const dirty = status?.files;
    const notes = [access.note, ...access.unchecked, setup.note].filter(Boolean);
    return {
      ...head,
      state: record.state === 'setup-failed' ? 'setup-failed' : 'ready',
      dirty: dirty?.length,
      ahead: counts?.ahead,
      behind: counts?.behind,
      merged: counts ? counts.ahead === 0 : undefined,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      ...(access.ports ? { ports: access.ports } : {}),
      ...(setup.needsSetup === undefined ? {} : { needsSetup: setup.needsSetup }),
      ...(tip ? { tip, moved: tip !== record.startOid } : {}),
      ...(access.broken ? { broken: access.broken } : {}),
      ...(access.unchecked.length > 0 ? { unchecked: access.unchecked } : {}),
      ...(memory === undefined ? {} : { memoryBytes: memory }),
      ...(services.length > 0 ? { services } : {}),
    };
  } catch (e) {
    return unlessInFlight(project, head, 'error', e instanceof Error ? e.message : String(e));
  } finally {
    await access?.close();
  }
}
