import path from 'node:path';
import { LOADED_ON_DEMAND } from '../../strategies/index.js';
import type { FoundLane } from '../../strategies/strategy.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';

/** Every lane that really exists, per strategy, found without the journal (see LOADED_ON_DEMAND for `inUse`). */
export async function findExisting(project: Project, inUse?: ReadonlySet<string>): Promise<Array<FoundLane & { strategy: string }>> {
  // A container lane's checkout is also a clone: when two strategies claim one path, the one
  // registered later (the more specific) wins.
  const byPath = new Map<string, FoundLane & { strategy: string }>();
  for (const name of project.strategyNames()) {
    if (inUse && LOADED_ON_DEMAND.has(name) && !inUse.has(name)) continue;
    const strategy = await project.strategy(name);
    if (!(await strategy.probe()).available) continue;
    for (const lane of await strategy.list()) byPath.set(lane.path, { ...lane, strategy: name });
  }
  return [...byPath.values()];
}

/**
 * A lane isolane made (it sits in the lanes root) but has no record of, e.g. after the journal
 * was lost. Returned as a record so `down` can apply the usual safety checks to it.
 */
export async function findOrphan(project: Project, lane: string): Promise<LaneRecord | undefined> {
  const lanePath = project.lanePath(lane);
  const hit = (await findExisting(project)).find((f) => f.path === lanePath && f.branch !== undefined);
  if (!hit?.branch) return undefined;
  return {
    version: 1,
    lane,
    strategy: hit.strategy,
    branch: hit.branch,
    base: await project.baseBranch(),
    startOid: '',
    path: path.resolve(hit.path),
    createdAt: '',
    state: 'ready',
  };
}
