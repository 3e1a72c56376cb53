import type { Strategy } from '../../strategies/strategy.js';
import { gitCommands } from '../git/commands.js';
import { headsRef } from '../git/names.js';
import { runGit } from '../git/run-git.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';
import { findExisting } from './reconcile.js';

/**
 * - ready: recorded and present
 * - creating / removing: another isolane process is at work on it now
 * - interrupted: a process died while creating or removing it (`up` or `down` finishes the job)
 * - missing: recorded, but its checkout is gone
 * - orphan: present in the lanes root with no record
 * - corrupt: its record cannot be read
 */
export type LaneStatus = 'ready' | 'creating' | 'removing' | 'interrupted' | 'missing' | 'orphan' | 'corrupt';

export interface LaneSummary {
  readonly lane: string;
  readonly status: LaneStatus;
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
}

const PARALLEL = 8;

export async function list(project: Project): Promise<LaneSummary[]> {
  const [{ records, corrupt }, existing] = await Promise.all([project.journal.list(), findExisting(project)]);
  const recorded = new Set(records.map((r) => r.path));
  const summaries: LaneSummary[] = [];
  const queue = [...records];
  const work = async (): Promise<void> => {
    for (let r = queue.shift(); r; r = queue.shift()) summaries.push(await summarise(project, r));
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, work));
  for (const c of corrupt) {
    summaries.push({ lane: c.lane, status: 'corrupt', strategy: '?', branch: undefined, path: c.file, base: undefined, dirty: undefined, ahead: undefined, behind: undefined, merged: undefined, createdAt: undefined, note: c.problem });
  }
  for (const f of existing) {
    if (recorded.has(f.path)) continue;
    summaries.push({
      lane: f.lane ?? f.path,
      status: 'orphan',
      strategy: f.strategy,
      branch: f.branch,
      path: f.path,
      base: undefined,
      dirty: undefined,
      ahead: undefined,
      behind: undefined,
      merged: undefined,
      createdAt: undefined,
      note: f.missing ? 'registered with git, directory gone' : 'not made by this journal; `isolane down` can remove it',
    });
  }
  return summaries.sort((a, b) => a.lane.localeCompare(b.lane));
}

async function summarise(project: Project, record: LaneRecord): Promise<LaneSummary> {
  const head = { lane: record.lane, strategy: record.strategy, branch: record.branch, path: record.path, base: record.base, createdAt: record.createdAt };
  if (record.state !== 'ready') {
    const lock = await project.tryLaneLock(record.lane);
    await lock?.release();
    const status: LaneStatus = lock ? 'interrupted' : record.state;
    return { ...head, status, dirty: undefined, ahead: undefined, behind: undefined, merged: undefined, note: lock ? `${record.state} was interrupted; \`isolane down ${record.lane}\` cleans it up` : undefined };
  }
  const strategy: Strategy = await project.strategy(record.strategy);
  const state = await strategy.inspect(record);
  const counts = state.headOid ? await aheadBehind(project, record.base, state.headOid) : undefined;
  return {
    ...head,
    status: state.exists ? 'ready' : 'missing',
    dirty: state.exists ? state.dirty.length : undefined,
    ahead: counts?.ahead,
    behind: counts?.behind,
    merged: counts?.merged,
    ...(state.exists ? {} : { note: 'its directory is gone; `isolane down` removes the rest' }),
  };
}

async function aheadBehind(project: Project, base: string, oid: string): Promise<{ ahead: number; behind: number; merged: boolean } | undefined> {
  const { ctx, repo } = project;
  const baseOid = (await runGit(ctx, repo.root, gitCommands.refOid(headsRef(base)), { okExitCodes: [1] })).stdout.trim();
  if (!baseOid) return undefined;
  const out = (await runGit(ctx, repo.root, gitCommands.aheadBehind(baseOid, oid))).stdout.trim();
  const [behind, ahead] = out.split(/\s+/).map(Number);
  if (behind === undefined || ahead === undefined) return undefined;
  return { ahead, behind, merged: ahead === 0 };
}
