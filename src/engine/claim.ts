import { IsolaneError } from '../errors.js';
import { assertLaneName } from '../git/names.js';
import { holds, readClaim, removeClaim, writeClaim, type Claim } from '../lane/claims.js';
import type { Project } from './project.js';

export interface ClaimOptions {
  /** How long the claim holds without activity in the lane. */
  readonly ttlMs: number;
  /** Who claims it (shown by gc); default: the user and host. */
  readonly by?: string;
}

const CLAIMANT = /^[\w.@:/+-]{1,100}$/;

/**
 * Claims a lane for an agent: gc leaves it while the claim holds. Claiming again renews it (and
 * may change who holds it: the last claim wins, as with a lease renewed by a new holder).
 */
export async function claimLane(project: Project, lane: string, opts: ClaimOptions): Promise<Claim> {
  assertLaneName(lane);
  if (opts.by !== undefined && !CLAIMANT.test(opts.by)) {
    throw new IsolaneError('USAGE', `--as ${JSON.stringify(opts.by)} is not a claimant name`, { hint: 'use 1-100 letters, digits and . _ @ : / + -' });
  }
  if (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0 || opts.ttlMs > 366 * 86_400_000) {
    throw new IsolaneError('USAGE', `a claim's ttl must be between 1 ms and a year`, { hint: '--ttl 30m' });
  }
  const record = await project.journal.read(lane);
  if (!record) throw new IsolaneError('LANE_NOT_FOUND', `no lane named ${lane} in ${project.repo.root}`, { hint: '`isolane ls` lists the lanes' });
  const now = project.ctx.now();
  const claim: Claim = {
    lane,
    by: opts.by ?? `${project.ctx.env.USER ?? 'uid' + String(process.getuid?.() ?? '?')}@pid${process.ppid}`,
    ttlMs: opts.ttlMs,
    claimedAt: now.toISOString(),
    until: new Date(now.getTime() + opts.ttlMs).toISOString(),
  };
  await writeClaim(project.stateDir, claim);
  return claim;
}

/** Releases a lane's claim; says whether there was one that still held. */
export async function releaseLane(project: Project, lane: string): Promise<{ lane: string; released: boolean }> {
  assertLaneName(lane);
  const claim = await readClaim(project.stateDir, lane);
  await removeClaim(project.stateDir, lane);
  return { lane, released: holds(claim, project.ctx.now()) };
}
