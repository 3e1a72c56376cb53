import type { ExecOptions, Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { laneEnvironment } from '../env/lane-env.js';

/** The environment of a set-up or teardown step: the caller's plus the lane's own, as `isolane run` gives it. */
export function stepEnv(project: Project, record: LaneRecord, strategy: Strategy): Pick<ExecOptions, 'env' | 'laneEnv'> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.ctx.env)) if (v !== undefined) env[k] = v;
  const own = laneEnvironment(record, project.config, strategy.workdir ?? record.path);
  return { env: { ...env, ...own }, laneEnv: own };
}
