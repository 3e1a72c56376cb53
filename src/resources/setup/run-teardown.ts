import { promises as fsp } from 'node:fs';
import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { runSteps } from './run-steps.js';
import { setupLogPath, writeLog } from './setup-log.js';

/** All of a lane's teardown steps together get this long; then the running one is stopped. */
export const TEARDOWN_LIMIT_MS = 120_000;

/**
 * Phase `beforeRemoval`: isolane.yaml's `teardown:` steps in the lane, within TEARDOWN_LIMIT_MS.
 * A failure never blocks the removal: it comes back as a note for the down report (the output
 * stays in the lane's teardown log).
 */
export async function runTeardown(project: Project, record: LaneRecord, strategy: Strategy, limitMs = TEARDOWN_LIMIT_MS): Promise<string[]> {
  const steps = project.config.teardown;
  if (steps.length === 0) return [];
  const limit = AbortSignal.timeout(limitMs);
  const signal = project.ctx.signal ? AbortSignal.any([limit, project.ctx.signal]) : limit;
  const { failure, output } = await runSteps(project, record, strategy, steps, 'teardown', signal);
  const log = setupLogPath(project.stateDir, record.lane, 'teardown');
  // Kept only when it failed: the note points at it after the lane is gone.
  if (!failure) {
    await fsp.rm(log, { force: true });
    return [];
  }
  await writeLog(log, output);
  const why = limit.aborted ? `did not finish within ${limitMs / 1000} s, stopped` : failure.why;
  const last = failure.output.trimEnd().split('\n').slice(-3).join(' | ');
  return [`teardown step ${failure.step} of ${steps.length} (\`${failure.argv.join(' ')}\`) ${why}; the lane was removed anyway (output: ${log})${last ? `: ${last}` : ''}`];
}
