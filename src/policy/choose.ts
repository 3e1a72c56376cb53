import { closest } from 'fastest-levenshtein';
import type { StrategyName } from '../../strategies/index.js';
import { defaultWorkload } from '../config/schema.js';
import type { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';
import { decide, disqualifications, type Decision, type NamedWorkload, type PolicyFacts } from './evaluate.js';
import { gatherFacts } from './facts.js';
import { plainChoice } from './plain-choice.js';

export interface StrategyChoice {
  readonly strategy: StrategyName;
  /** Present when the policy decided (a workload was named, or `strategy: auto`). */
  readonly decision?: Decision & { readonly ok: true };
}

/** The workload of that name in isolane.yaml; `default` may be left out (then default traits). */
export function findWorkload(project: Project, name: string): NamedWorkload {
  const workloads = project.config.workloads;
  const found = Object.hasOwn(workloads, name) ? workloads[name] : undefined;
  if (found) return { name, ...found };
  // A lane made without --workload under `strategy: auto`: the schema's default traits.
  if (name === 'default') return { name, ...defaultWorkload() };
  const names = Object.keys(workloads);
  throw new IsolaneError('USAGE', `no workload named ${name} in ${project.configFile ?? 'isolane.yaml'}`, {
    hint: names.length > 0 ? `did you mean ${closest(name, names)}? workloads: ${names.join(', ')}` : 'declare it under workloads: in isolane.yaml',
  });
}

/** The policy's decision for a workload, with the facts it rested on (for `policy explain`). */
export async function explain(project: Project, workloadName: string, facts?: PolicyFacts): Promise<{ decision: Decision; facts: PolicyFacts }> {
  const workload = findWorkload(project, workloadName);
  const known = facts ?? (await gatherFacts(project, true));
  return { decision: decide(workload, project.config.policy, known), facts: known };
}

export function impossible(decision: Decision & { ok: false }): IsolaneError {
  return new IsolaneError('POLICY_UNMET', `workload ${decision.workload.name} cannot be served on this host:\n${decision.unmet.map((u) => `  - ${u}`).join('\n')}`, {
    hint: 'give it what it needs (e.g. start a Docker engine, free disk), or change its needs or the policy in isolane.yaml; `isolane policy explain` shows every reason',
    data: { workload: decision.workload.name, unmet: decision.unmet, reasons: decision.reasons },
  });
}

/**
 * The one place a lane's strategy is chosen. An explicit strategy wins, but is still checked
 * against a named workload's needs; `strategy: auto` or a workload asks the policy. A demand the
 * host cannot meet is an error, never a silent fall-back.
 */
export async function chooseStrategy(project: Project, opts: { strategy?: string; workload?: string }): Promise<StrategyChoice> {
  const plain = plainChoice(project, opts);
  if (plain) return plain;
  const explicit = opts.strategy !== undefined && opts.strategy !== 'auto' ? opts.strategy : undefined;
  const workload = findWorkload(project, opts.workload ?? 'default');
  const facts = await gatherFacts(project);
  if (explicit !== undefined) {
    const why = disqualifications(explicit as StrategyName, workload, facts);
    if (why.length > 0) {
      throw new IsolaneError('POLICY_UNMET', `--strategy ${explicit} cannot serve workload ${workload.name}: ${why.join('; ')}`, {
        hint: `leave out --strategy to let the policy choose (\`isolane policy explain ${workload.name}\`)`,
        data: { workload: workload.name, strategy: explicit, unmet: why },
      });
    }
    return { strategy: explicit as StrategyName };
  }
  const decision = decide(workload, project.config.policy, facts);
  if (!decision.ok) throw impossible(decision);
  return { strategy: decision.strategy, decision };
}
