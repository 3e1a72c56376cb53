import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { setupLockfileHash } from '../share/lockfile.js';
import { normaliseSharePath } from '../share/share-path.js';
import { runSteps } from './run-steps.js';
import { SetupFailedError } from './setup-failed-error.js';
import { setupLogPath, writeLog } from './setup-log.js';

/** The lockfile hash a lane's set-up depends on, read in the lane's checkout on the host. */
export function laneLockfileHash(project: Project, record: LaneRecord): Promise<string | undefined> {
  return setupLockfileHash(record.path, project.config.share.map((s) => normaliseSharePath(s.path)));
}

/**
 * Runs isolane.yaml's `setup:` steps in the lane and records how they ended, with the lockfile
 * hash they ran for, and their output in the lane's log. A failed step leaves the lane recorded
 * as `setup-failed` (written here, before the error goes up), so `up` keeps it rather than
 * cleaning it up as half-made: its files, ports and database stay for a look and a retry.
 */
export async function runSetup(project: Project, record: LaneRecord, strategy: Strategy): Promise<LaneRecord> {
  const steps = project.config.setup;
  if (steps.length === 0) return record;
  const lockfileHash = await laneLockfileHash(project, record);
  const { failure, output } = await runSteps(project, record, strategy, steps, 'set-up', project.ctx.signal);
  const log = setupLogPath(project.stateDir, record.lane);
  await writeLog(log, output);
  const setup = { ok: failure === undefined, ...(lockfileHash ? { lockfileHash } : {}), log, at: project.ctx.now().toISOString() };
  const done: LaneRecord = { ...record, resources: { ...record.resources, setup } };
  if (!failure) return done;
  await project.journal.write({ ...done, state: 'setup-failed' });
  throw new SetupFailedError(record.lane, failure, steps.length, log);
}
