import type { ExecOptions, Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { laneEnvironment } from './lane-env.js';

/**
 * The environment of a command run in a lane (`isolane run`, set-up, teardown, migrate): the
 * caller's, then `extra`, then the lane's own, which nothing overrides.
 */
export function execEnv(project: Project, record: LaneRecord, strategy: Strategy, extra: Readonly<Record<string, string>> = {}): Pick<ExecOptions, 'env' | 'laneEnv'> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.ctx.env)) if (v !== undefined) env[k] = v;
  const own = { ...extra, ...laneEnvironment(record, project.config, strategy.workdir ?? record.path) };
  return { env: { ...env, ...own }, laneEnv: own };
}
