import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { IsolaneError, isIsolaneError } from '../../errors.js';
import { execEnv } from '../env/exec-env.js';
import { COMMAND_TIMEOUT_MS } from './command.js';

/**
 * Runs `database.migrate` in the lane (inside its container for container lanes), once the
 * lane's database exists, with the lane's environment (DATABASE_URL included). A failure fails
 * `up`, with the command's output.
 */
export async function migrateLane(project: Project, record: LaneRecord, strategy: Strategy, argv: readonly string[]): Promise<void> {
  const { ctx } = project;
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(COMMAND_TIMEOUT_MS)]) : AbortSignal.timeout(COMMAND_TIMEOUT_MS);
  ctx.logger.progress(`migrating the database of lane ${record.lane}: ${argv.join(' ')}`);
  let result;
  try {
    result = await strategy.exec(record, argv, { ...execEnv(project, record, strategy), stdio: 'pipe', signal });
  } catch (e) {
    if (isIsolaneError(e) && e.code !== 'COMMAND_NOT_FOUND') throw e;
    throw new IsolaneError('DATABASE_FAILED', `database.migrate (${JSON.stringify(argv)}) could not start in lane ${record.lane}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'fix database.migrate in isolane.yaml (an argv array of a command the lane has)',
      cause: e,
    });
  }
  if (result.exitCode !== 0) {
    const output = `${result.stderr}\n${result.stdout}`.trim();
    throw new IsolaneError('DATABASE_FAILED', `database.migrate (${JSON.stringify(argv)}) exited ${result.exitCode} in lane ${record.lane}${output ? `:\n${output.slice(-2000)}` : ''}`, {
      hint: 'fix the migration or database.migrate; the lane was not made',
      data: { argv, exitCode: result.exitCode },
    });
  }
}
