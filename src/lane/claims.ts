import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readTextSafely, realDirectory } from '../fs/safe-read.js';
import { tempFileFor } from '../fs/temp-name.js';

/**
 * An agent's claim on a lane (`isolane claim <lane> --ttl 30m`): while it holds, gc leaves the
 * lane alone. It lapses at `until` unless renewed: by `claim` again, or by activity in the lane
 * (`run`, `shell`: an agent at work), each of which moves `until` to a full ttl from now. One file per lane under `<state>/claims/`.
 */
export interface Claim {
  readonly lane: string;
  readonly by: string;
  readonly ttlMs: number;
  readonly claimedAt: string;
  readonly until: string;
}

const MAX_CLAIM = 4096;

export function claimFile(stateDir: string, lane: string): string {
  return path.join(stateDir, 'claims', `${lane}.json`);
}

/** The lane's claim as written (also a lapsed one); undefined when there is none or it is unreadable. */
export async function readClaim(stateDir: string, lane: string): Promise<Claim | undefined> {
  const text = await readTextSafely(claimFile(stateDir, lane), { maxBytes: MAX_CLAIM }).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Claim>;
    if (v.lane !== lane || typeof v.by !== 'string' || typeof v.until !== 'string' || typeof v.claimedAt !== 'string' || !Number.isFinite(v.ttlMs)) return undefined;
    return v as Claim;
  } catch {
    return undefined;
  }
}

export function holds(claim: Claim | undefined, now: Date): claim is Claim {
  return claim !== undefined && Date.parse(claim.until) > now.getTime();
}

export async function writeClaim(stateDir: string, claim: Claim): Promise<void> {
  const file = claimFile(stateDir, claim.lane);
  await realDirectory(path.dirname(file));
  const temp = tempFileFor(file);
  try {
    await fsp.writeFile(temp, `${JSON.stringify(claim, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}

export async function removeClaim(stateDir: string, lane: string): Promise<boolean> {
  const had = await fsp.stat(claimFile(stateDir, lane)).then(() => true, () => false);
  await fsp.rm(claimFile(stateDir, lane), { force: true });
  return had;
}

/**
 * Activity in the lane renews a claim that still holds (one read when there is none). A lapsed
 * claim stays lapsed: activity long after it is not the claimant coming back.
 */
export async function renewClaim(stateDir: string, lane: string, now: Date): Promise<void> {
  const claim = await readClaim(stateDir, lane);
  if (!holds(claim, now)) return;
  await writeClaim(stateDir, { ...claim, until: new Date(now.getTime() + claim.ttlMs).toISOString() }).catch(() => undefined);
}
