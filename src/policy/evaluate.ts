import type { PolicyRule, Workload } from '../config/schema.js';
import { pluginOf, plugins, type StrategyName } from '../../strategies/index.js';
import type { Need, ProbeResult } from '../../strategies/strategy.js';
import { builtInRules } from './defaults.js';

/** What the policy knows of this host and repository (gathered by facts.ts, or given by a test). */
export interface PolicyFacts {
  /** Each strategy's own probe on this host, with its settings. */
  readonly probes: Partial<Record<StrategyName, ProbeResult>>;
  /** Whether cgroups can cap host lanes here (src/limits/probe.ts); absent when not looked at. */
  readonly cgroups?: ProbeResult;
  /** Needs a strategy lists but its settings keep it from giving, with why (clone.mode reference: own-object-store). */
  readonly withheld: Partial<Record<StrategyName, Partial<Record<Need, string>>>>;
  /** Files the main checkout tracks (its index), for rules on tree size; undefined when unread. */
  readonly trackedFiles: number | undefined;
  readonly cores: number;
  /** Free bytes on the filesystem of the lanes root; undefined when it could not be read. */
  readonly freeDiskBytes: number | undefined;
  /** Filesystem bytes per lane from this repository's latest `isolane bench`, per strategy. */
  readonly diskPerLane: Partial<Record<StrategyName, number>>;
  /** When those measurements were taken; undefined: never benched. */
  readonly benchedAt: string | undefined;
}

export interface NamedWorkload extends Workload {
  readonly name: string;
}

export interface Reason {
  /** built-in, policy[i] (the project's rule i), need (what the workload asks), host (engine, disk, cores). */
  readonly source: string;
  readonly text: string;
}

export interface RuledOut {
  readonly strategy: StrategyName;
  readonly why: readonly string[];
}

interface Common {
  readonly workload: NamedWorkload;
  readonly reasons: readonly Reason[];
  readonly ruledOut: readonly RuledOut[];
}

export type Decision = (Common & { readonly ok: true; readonly strategy: StrategyName }) | (Common & { readonly ok: false; readonly unmet: readonly string[] });

/** Disk a lane set may take: leave a tenth of the free space for builds, caches and logs. */
const DISK_HEADROOM = 0.9;

/** Sizes for reasons: MiB, or GiB from 10 GiB up. */
export const humanBytes = (bytes: number): string => (bytes >= 10 * 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

const lists = (strategy: StrategyName, need: Need): boolean => pluginOf(strategy)?.gives.includes(need) === true;
const takesUntrusted = (strategy: StrategyName): boolean => pluginOf(strategy)?.untrustedCode === true;

/** Strategies from cheapest to dearest (their plug-ins' cost ranks). */
export const byCost = (): StrategyName[] => plugins().map((p) => p.name);

interface Against {
  readonly text: string;
  /** The strategy's nature (lacks a need, unsafe for the trust level), not this host or config. */
  readonly nature: boolean;
}

function against(strategy: StrategyName, workload: NamedWorkload, facts: PolicyFacts): Against[] {
  const why: Against[] = [];
  for (const need of workload.needs) {
    const withheld = facts.withheld[strategy]?.[need];
    if (!lists(strategy, need)) why.push({ text: `does not give ${need}`, nature: true });
    else if (withheld) why.push({ text: withheld, nature: false });
  }
  if (workload.trust === 'untrusted' && !takesUntrusted(strategy)) why.push({ text: "runs the lane's tools and git hooks on the host: unsafe for untrusted code", nature: true });
  const probe = facts.probes[strategy];
  if (probe && !probe.available) why.push({ text: `cannot run here: ${probe.reason ?? 'its probe failed'}`, nature: false });
  const perLane = facts.diskPerLane[strategy];
  if (perLane !== undefined && facts.freeDiskBytes !== undefined && perLane * workload.agents > facts.freeDiskBytes * DISK_HEADROOM) {
    const text = `${workload.agents} lanes x ${humanBytes(perLane)} (measured) = ${humanBytes(perLane * workload.agents)}, more than ${DISK_HEADROOM * 100}% of the ${humanBytes(facts.freeDiskBytes)} free`;
    why.push({ text, nature: false });
  }
  return why;
}

/** Why `strategy` cannot serve `workload` here (empty: it can). */
export function disqualifications(strategy: StrategyName, workload: NamedWorkload, facts: PolicyFacts): string[] {
  return against(strategy, workload, facts).map((a) => a.text);
}

export function ruleMatches(when: PolicyRule['when'], workload: NamedWorkload, facts: PolicyFacts): boolean {
  const names = when.workload === undefined ? undefined : Array.isArray(when.workload) ? when.workload : [when.workload];
  return (
    (names === undefined || names.includes(workload.name)) &&
    (when.trust === undefined || when.trust === workload.trust) &&
    (when.needs === undefined || when.needs.every((n) => workload.needs.includes(n))) &&
    (when.bound === undefined || when.bound === workload.bound) &&
    (when.minAgents === undefined || workload.agents >= when.minAgents) &&
    (when.maxAgents === undefined || workload.agents <= when.maxAgents) &&
    (when.minFiles === undefined || (facts.trackedFiles !== undefined && facts.trackedFiles >= when.minFiles)) &&
    (when.available === undefined || (Array.isArray(when.available) ? when.available : [when.available]).every((s) => facts.probes[s]?.available === true))
  );
}

/**
 * The policy: which strategy serves `workload` on this host, and why. Pure: the same inputs give
 * the same decision. Rules are the built-in ones, then the project's in order; the last rule that
 * matches chooses. A project rule that chooses a strategy unable to serve the workload is an
 * impossible demand, never silently replaced; a built-in rule in that case gives way to the one
 * before it, and when none is left the cheapest strategy that serves the workload is taken.
 */
export function decide(workload: NamedWorkload, rules: readonly PolicyRule[], facts: PolicyFacts): Decision {
  const reasons: Reason[] = [];
  const ruledOut: RuledOut[] = [];
  for (const strategy of byCost()) {
    const why = against(strategy, workload, facts);
    if (why.length === 0) continue;
    ruledOut.push({ strategy, why: why.map((a) => a.text) });
    reasons.push({ source: why.every((a) => a.nature) ? 'need' : 'host', text: `not ${strategy}: ${why.map((a) => a.text).join('; ')}` });
  }
  const isOut = (s: StrategyName): RuledOut | undefined => ruledOut.find((r) => r.strategy === s);
  if (facts.benchedAt === undefined) reasons.push({ source: 'host', text: 'disk per lane not checked: this repository has no `isolane bench` results' });
  if (workload.bound === 'cpu' && workload.agents > facts.cores) {
    reasons.push({ source: 'host', text: `${workload.agents} cpu-bound agents on ${facts.cores} cores: each gets about ${(facts.cores / workload.agents).toFixed(2)} of a core` });
  }
  const done = (strategy: StrategyName): Decision => ({ ok: true, workload, strategy, reasons, ruledOut });

  const userRules = rules.map((rule, i) => ({ rule, source: `policy[${i}]` })).filter(({ rule }) => ruleMatches(rule.when, workload, facts));
  const lastUser = userRules.at(-1);
  if (lastUser) {
    const out = isOut(lastUser.rule.strategy);
    const said = lastUser.rule.because ? ` (${lastUser.rule.because})` : '';
    if (out) {
      reasons.push({ source: lastUser.source, text: `chooses ${lastUser.rule.strategy}${said}, which cannot serve this workload` });
      return { ok: false, workload, reasons, ruledOut, unmet: out.why.map((w) => `${lastUser.rule.strategy} ${w}`) };
    }
    reasons.push({ source: lastUser.source, text: `chooses ${lastUser.rule.strategy}${said}` });
    return done(lastUser.rule.strategy);
  }

  const builtIns = builtInRules().filter((rule) => ruleMatches(rule.when, workload, facts));
  for (const rule of [...builtIns].reverse()) {
    if (isOut(rule.strategy)) {
      reasons.push({ source: 'built-in', text: `${rule.because} would choose ${rule.strategy}, ruled out above` });
      continue;
    }
    reasons.push({ source: 'built-in', text: `${rule.because}: ${rule.strategy}` });
    return done(rule.strategy);
  }
  const left = byCost().find((s) => !isOut(s));
  if (left) {
    reasons.push({ source: 'built-in', text: `${left} is the cheapest strategy left that serves this workload` });
    return done(left);
  }
  return { ok: false, workload, reasons, ruledOut, unmet: unmetDemands(workload, facts, ruledOut) };
}

/** Each demand of the workload (a need, or its trust) that this host or config keeps every strategy from meeting. */
function unmetDemands(workload: NamedWorkload, facts: PolicyFacts, ruledOut: readonly RuledOut[]): string[] {
  const demands = [
    // Who could give it at all (the registry); whether it does here is what `against` says.
    ...workload.needs.map((need) => ({ label: need, by: (s: StrategyName) => lists(s, need) })),
    ...(workload.trust === 'untrusted' ? [{ label: 'trust: untrusted', by: takesUntrusted }] : []),
  ];
  const unmet: string[] = [];
  for (const { label, by } of demands) {
    const givers = byCost().filter(by);
    const blocked = givers.map((s) => ({ s, why: against(s, workload, facts).filter((a) => !a.nature).map((a) => a.text) })).filter((b) => b.why.length > 0);
    if (givers.length === 0) unmet.push(`${label}: no strategy gives it`);
    else if (blocked.length === givers.length) unmet.push(`${label}: only ${givers.join(' or ')} gives it, and ${blocked.map((b) => `${b.s} is ruled out (${b.why.join('; ')})`).join(', ')}`);
  }
  // Each demand alone can be met, only not all by one strategy.
  return unmet.length > 0 ? unmet : [`no one strategy meets all of: ${demands.map((d) => d.label).join(', ')}`, ...ruledOut.map((r) => `${r.strategy}: ${r.why.join('; ')}`)];
}
