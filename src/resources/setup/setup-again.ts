import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { IsolaneError } from '../../errors.js';
import { assertLaneName } from '../../git/names.js';
import { shareAndSetUp } from './share-and-setup.js';

/**
 * `isolane setup <lane>`: seeds what is missing and runs the set-up steps again, in a lane that
 * is ready or setup-failed, holding the lane against a concurrent up, down or run. Passing
 * steps make it ready, recording the lockfile they ran for; failing ones leave it setup-failed.
 */
export async function setupAgain(project: Project, lane: string): Promise<LaneRecord> {
  assertLaneName(lane);
  const { ctx } = project;
  const lock = await project.tryLaneLock(lane, ctx.lockTimeoutMs);
  if (!lock) throw new IsolaneError('LANE_BUSY', `lane ${lane} is busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`, { hint: 'wait for it, then retry' });
  try {
    return await setupAgainHeld(project, lane);
  } finally {
    await lock.release();
  }
}

/** `setupAgain` for a caller that holds the lane lock already (`isolane sync` after a rebase changed the lockfile). */
export async function setupAgainHeld(project: Project, lane: string): Promise<LaneRecord> {
  const { journal } = project;
  const record = await journal.read(lane);
  if (!record) throw new IsolaneError('LANE_NOT_FOUND', `no lane named ${lane} in ${project.repo.root}`, { hint: `create it with \`isolane up ${lane}\`` });
  if (record.state !== 'ready' && record.state !== 'setup-failed') {
    throw new IsolaneError('LANE_BUSY', `lane ${lane} is ${record.state}, not ready or setup-failed`, { hint: '`isolane ls` shows its state; `isolane down` finishes an interrupted lane' });
  }
  project.checkRecord(record);
  const strategy = await project.strategy(record.strategy);
  const done = await shareAndSetUp(project, record, strategy);
  const ready: LaneRecord = { ...done, state: 'ready' };
  await journal.write(ready);
  return ready;
}
