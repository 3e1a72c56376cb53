import type { BenchResults, StrategyMeasure, StrategyName, ThroughputPoint } from '../results.js';
import { bytes, decimal, ms, overhead } from './format.js';

/** The report's short answer: which strategy the policy would take here, why, and the figures behind it. */
export interface ConclusionSection {
  readonly title: string;
  readonly lead: string;
  readonly points: readonly string[];
}

const tasks = (p: ThroughputPoint): string =>
  p.failed !== undefined ? `failed: ${p.failed}` : `${decimal(p.tasksPerMinute)} tasks/min${p.failures > 0 ? `, ${p.failures} of ${p.tasks} failed` : ', none failed'}`;

/** This run's figures for one strategy, in a line or three. */
function figures(r: BenchResults, s: StrategyMeasure, agents: number): string[] {
  const perLane = s.disk.many.fsBytesPerLane;
  const out = [
    `disk: ${bytes(perLane)} per lane here, ${bytes(perLane * agents)} for ${agents} lane(s)`,
    `create ${ms(s.create.a.p50)}, destroy ${ms(s.destroy.a.p50)} (p50; ${overhead(s.create.ratio.p50)} and ${overhead(s.destroy.ratio.p50)} the raw tools' time)`,
  ];
  if (s.fetch) out.push(`fetch: ${ms(s.fetch.untilAllSee.p50)} until all ${s.fetch.lanes} lanes see new commits (${s.fetch.fetches} fetch${s.fetch.fetches === 1 ? '' : 'es'})`);
  const most = s.throughput.at(-1);
  if (most) {
    const shared = r.sharedDir.find((p) => p.agents === most.agents);
    const baseline = shared ? `; in one shared directory ${shared.failures} of ${shared.tasks} failed` : '';
    out.push(`${most.agents} agent(s) at once: ${tasks(most)}${baseline}`);
  }
  return out;
}

function unmeasured(r: BenchResults, strategy: StrategyName): string | undefined {
  const skipped = r.skipped.find((k) => k.strategy === strategy);
  if (skipped) return `${strategy} was not measured here: ${skipped.reason}`;
  const failed = r.failures.find((f) => f.strategy === strategy);
  return failed ? `${strategy} could not be measured here: ${failed.scenario} failed: ${failed.error}` : undefined;
}

/** Undefined for results without a conclusion (made by another tool, or before it existed). */
export function conclusionSection(r: BenchResults): ConclusionSection | undefined {
  const c = r.conclusion;
  if (!c) return undefined;
  const title = 'What this means for you';
  const who = `the ${c.workload} workload (${c.agents} agent${c.agents === 1 ? '' : 's'} at once)`;
  if (c.strategy === undefined) return { title, lead: `No strategy can serve ${who} on this host.`, points: c.reasons };
  const chosen = r.strategies.find((s) => s.strategy === c.strategy);
  const others = r.strategies.filter((s) => s !== chosen);
  const points = [
    ...c.reasons.map((reason) => `why: ${reason}`),
    ...(chosen ? figures(r, chosen, c.agents).map((f) => `${chosen.label}: ${f}`) : [unmeasured(r, c.strategy) ?? `${c.strategy} was not measured in this run`]),
    ...others.map((s) => {
      const most = s.throughput.at(-1);
      return `instead, ${s.label}: ${bytes(s.disk.many.fsBytesPerLane)} per lane${most ? `; ${most.agents} agent(s): ${tasks(most)}` : ''}`;
    }),
  ];
  return { title, lead: `For ${who}, the policy chooses ${c.strategy} here, deciding by this run's figures.`, points };
}
