import { defaultWorkload } from '../src/config/schema.js';
import type { Context } from '../src/context.js';
import { Project } from '../src/engine/project.js';
import { explain } from '../src/policy/choose.js';
import { decide, type Decision, type PolicyFacts } from '../src/policy/evaluate.js';
import { freeBytes, gatherFacts } from '../src/policy/facts.js';
import type { IsolaneConfig } from '../src/config/schema.js';
import { defaultConfig } from '../src/config/defaults.js';
import { plugins } from '../strategies/index.js';
import type { BenchResults, Conclusion, StrategyName } from './results.js';

/**
 * The policy's facts for this run's host, with this run's disk per lane: a strategy measured here
 * can run, one skipped cannot, for the reason the bench gave. `variants`: per strategy, the
 * variant whose figure counts (the repository's settings; the defaults for a fixture).
 */
export function factsFromRun(r: BenchResults, variants: Readonly<Record<string, string>>, freeDiskBytes: number | undefined, base?: PolicyFacts): PolicyFacts {
  const diskPerLane: Partial<Record<StrategyName, number>> = {};
  const probes: PolicyFacts['probes'] = { ...base?.probes };
  for (const s of r.strategies) {
    if ((variants[s.strategy] ?? s.strategy) === s.label) diskPerLane[s.strategy] = s.disk.many.fsBytesPerLane;
    probes[s.strategy] ??= { available: true };
  }
  for (const k of r.skipped) probes[k.strategy] = { available: false, reason: k.reason };
  return { probes, withheld: base?.withheld ?? {}, trackedFiles: base?.trackedFiles, cores: r.host.cores, freeDiskBytes, diskPerLane, benchedAt: r.createdAt };
}

/** The variant of each strategy isolane.yaml's settings make (its plug-in's `variant`). */
export function variantsOf(config: IsolaneConfig | undefined): Record<string, string> {
  const settings = config ?? defaultConfig();
  return Object.fromEntries(plugins().map((p) => [p.name, p.variant(settings[p.name])]));
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
    const facts = factsFromRun(r, variantsOf(project.config), await freeBytes(project.lanesRoot), await gatherFacts(project));
    decision = (await explain(project, 'default', facts)).decision;
  } else {
    decision = decide({ name: 'default', ...defaultWorkload() }, [], factsFromRun(r, variantsOf(undefined), r.host.freeDiskBytes));
  }
  return {
    workload: decision.workload.name,
    agents: decision.workload.agents,
    strategy: decision.ok ? decision.strategy : undefined,
    reasons: [...decision.reasons.map((reason) => reason.text), ...(decision.ok ? [] : decision.unmet)],
  };
}
