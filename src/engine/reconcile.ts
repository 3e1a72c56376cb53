import path from 'node:path';
import { LOADED_ON_DEMAND } from '../../strategies/index.js';
import type { FoundLane } from '../../strategies/strategy.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';

/** Every lane that really exists, per strategy, found without the journal (see LOADED_ON_DEMAND for `inUse`). */
export async function findExisting(project: Project, inUse?: ReadonlySet<string>): Promise<Array<FoundLane & { strategy: string }>> {
  // Each strategy finds only lanes carrying its own proof (a marker naming it, its labels), and
  // does so without its engine, so no strategy can claim another's lane.
  const byPath = new Map<string, FoundLane & { strategy: string }>();
  for (const name of project.strategyNames()) {
    if (inUse && LOADED_ON_DEMAND.has(name) && !inUse.has(name)) continue;
    const strategy = await project.strategy(name);
    for (const lane of await strategy.list()) byPath.set(lane.path, { ...lane, strategy: name });
  }
  return [...byPath.values()];
}

/**
 * A lane isolane can prove it made (its marker, its labels) but has no record of, e.g. after the
 * journal was lost. Returned as a record so `down` applies the usual safety checks to it; its
 * branch is always `<branchPrefix><lane>`, whatever the lane's own HEAD names.
 */
export async function findOrphan(project: Project, lane: string): Promise<LaneRecord | undefined> {
  const lanePath = project.lanePath(lane);
  const hit = (await findExisting(project)).find((f) => f.lane === lane && f.path === lanePath && f.branch !== undefined);
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
