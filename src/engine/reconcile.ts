import path from 'node:path';
import type { FoundLane, ListScope } from '../../strategies/strategy.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';

/**
 * Every lane that really exists, found without the journal. Each strategy finds only lanes
 * carrying its own proof (a marker naming it, its labels), so the order of the registry decides
 * nothing; a lane two strategies both claim (a forged marker) is left out, with a warning.
 */
export async function findExisting(project: Project): Promise<Array<FoundLane & { strategy: string }>> {
  const scope = listScope();
  const claims = await Promise.all(
    project.strategyNames().map(async (name) => (await (await project.strategy(name)).list(scope)).map((lane) => ({ ...lane, strategy: name }))),
  );
  const byPath = new Map<string, Array<FoundLane & { strategy: string }>>();
  for (const lane of claims.flat()) byPath.set(lane.path, [...(byPath.get(lane.path) ?? []), lane]);
  const found: Array<FoundLane & { strategy: string }> = [];
  for (const [where, lanes] of byPath) {
    const [only, ...others] = lanes;
    if (only && others.length === 0) found.push(only);
    else project.ctx.logger.warn(`${where} is claimed by ${lanes.map((l) => l.strategy).join(' and ')}: isolane acts on neither until one claim is removed`);
  }
  return found;
}

/** A scope for one look: what is read once in it is never reused by the next look. */
function listScope(): ListScope {
  const read = new Map<string, Promise<unknown>>();
  return {
    once<T>(key: string, fn: () => Promise<T>): Promise<T> {
      let p = read.get(key) as Promise<T> | undefined;
      if (!p) read.set(key, (p = fn()));
      return p;
    },
  };
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
