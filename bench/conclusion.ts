import { defaultWorkload } from '../src/config/schema.js';
import type { Context } from '../src/context.js';
import { Project } from '../src/engine/project.js';
import { explain } from '../src/policy/choose.js';
import { decide, type Decision, type PolicyFacts } from '../src/policy/evaluate.js';
import { freeBytes } from '../src/policy/facts.js';
import type { BenchResults, Conclusion, StrategyName } from './results.js';

/** The policy's facts for this host, with this run's disk per lane in place of stored results. */
export function factsFromRun(r: BenchResults, cloneMode: PolicyFacts['cloneMode'], freeDiskBytes: number | undefined): PolicyFacts {
  const diskPerLane: Partial<Record<StrategyName, number>> = {};
  for (const s of r.strategies) {
    if (s.strategy !== 'clone' || (s.mode ?? 'full') === cloneMode) diskPerLane[s.strategy] = s.disk.many.fsBytesPerLane;
  }
  return {
    docker: r.host.docker === undefined ? { available: false, reason: r.host.dockerReason ?? 'not reachable' } : { available: true },
    cores: r.host.cores,
    freeDiskBytes,
    diskPerLane,
    benchedAt: r.createdAt,
    cloneMode,
  };
}

/**
 * What the policy would choose for the default workload here, deciding by this run's figures:
 * the repository's own workload and rules when one was measured (its lanes root's free disk),
 * else the built-in default.
 */
export async function conclude(ctx: Context, r: BenchResults, repoRoot: string | undefined): Promise<Conclusion> {
  let decision: Decision;
  if (repoRoot !== undefined) {
    const project = await Project.open({ ...ctx, cwd: repoRoot });
    const facts = factsFromRun(r, project.config.clone.mode, await freeBytes(project.lanesRoot));
    decision = (await explain(project, 'default', facts)).decision;
  } else {
    decision = decide({ name: 'default', ...defaultWorkload() }, [], factsFromRun(r, 'full', r.host.freeDiskBytes));
  }
  return {
    workload: decision.workload.name,
    agents: decision.workload.agents,
    strategy: decision.ok ? decision.strategy : undefined,
    reasons: [...decision.reasons.map((reason) => reason.text), ...(decision.ok ? [] : decision.unmet)],
  };
}
