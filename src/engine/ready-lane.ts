import { IsolaneError } from '../errors.js';
import { assertLaneName } from '../git/names.js';
import type { Journal, LaneRecord } from './journal.js';

/**
 * The lane's record when it is ready (or, with `orSetupFailed`, made whole but its set-up failed:
 * for `path`, to look at it). Apart from run.ts: `path` needs this and nothing running a command loads.
 */
export async function readyLane(where: { readonly journal: Journal; readonly repo: { readonly root: string } }, lane: string, orSetupFailed = false): Promise<LaneRecord> {
  assertLaneName(lane);
  const record = await where.journal.read(lane);
  if (!record) throw new IsolaneError('LANE_NOT_FOUND', `no lane named ${lane} in ${where.repo.root}`, { hint: `create it with \`isolane up ${lane}\`` });
  if (record.state !== 'ready' && !(orSetupFailed && record.state === 'setup-failed')) {
    const hint = record.state === 'setup-failed' ? `its set-up failed: fix it and run \`isolane setup ${lane}\` (its files are at \`isolane path ${lane}\`)` : '`isolane ls` shows its state';
    throw new IsolaneError('LANE_BUSY', `lane ${lane} is not ready (${record.state})`, { hint });
  }
  return record;
}
