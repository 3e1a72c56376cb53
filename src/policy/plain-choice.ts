import { STRATEGY_NAMES, type StrategyName } from '../../strategies/index.js';
import type { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';

/**
 * The strategy when no policy needs to decide: one named on the command line, or isolane.yaml's
 * `strategy` when it is not `auto` and no workload was named. Undefined: the policy decides
 * (src/policy/choose.ts, loaded only then, with its facts and schemas).
 */
export function plainChoice(project: Pick<Project, 'config'>, opts: { strategy?: string; workload?: string }): { strategy: StrategyName } | undefined {
  const explicit = opts.strategy !== undefined && opts.strategy !== 'auto' ? opts.strategy : undefined;
  if (explicit !== undefined && !(STRATEGY_NAMES as readonly string[]).includes(explicit)) {
    throw new IsolaneError('USAGE', `unknown strategy ${JSON.stringify(explicit)}`, { hint: `choose one of: ${STRATEGY_NAMES.join(', ')}, auto` });
  }
  const configured = project.config.strategy;
  if (opts.workload === undefined && (explicit !== undefined || (opts.strategy === undefined && configured !== 'auto'))) {
    return { strategy: (explicit ?? configured) as StrategyName };
  }
  return undefined;
}
