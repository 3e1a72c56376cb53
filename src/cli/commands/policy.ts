import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { explain } from '../../policy/choose.js';
import { humanBytes, type Decision, type PolicyFacts } from '../../policy/evaluate.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';


function hostLine(f: PolicyFacts): string {
  const probes = Object.entries(f.probes).map(([s, p]) => (p.available ? `${s} can run${p.detail ? ` (${p.detail})` : ''}` : `${s} cannot run (${p.reason ?? 'its probe failed'})`));
  const free = f.freeDiskBytes === undefined ? 'free disk unknown' : `${humanBytes(f.freeDiskBytes)} free for lanes`;
  const measured = Object.entries(f.diskPerLane).map(([s, b]) => `${s} ${humanBytes(b)}`);
  const bench = f.benchedAt ? `disk per lane measured ${f.benchedAt.slice(0, 16).replace('T', ' ')}: ${measured.join(', ') || 'none'}` : 'not benched (`isolane bench`)';
  const cgroups = f.cgroups ? [f.cgroups.available ? `cgroups can cap host lanes (${f.cgroups.detail ?? 'usable'})` : `cgroups cannot cap host lanes (${f.cgroups.reason ?? 'unusable'})`] : [];
  return `${[...probes, ...cgroups].join('; ')}; ${f.cores} cores; ${free}; ${bench}`;
}

function render(d: Decision, f: PolicyFacts): string {
  const w = d.workload;
  const lines = [
    d.ok ? `workload ${w.name}: ${d.strategy}` : `workload ${w.name}: no strategy can serve it here`,
    `  ${w.description ? `${w.description}; ` : ''}trust ${w.trust}; needs ${w.needs.join(', ') || 'nothing special'}; ${w.agents} agent(s); ${w.bound}-bound`,
    `  host: ${hostLine(f)}`,
    'reasons:',
    ...d.reasons.map((r) => `  - [${r.source}] ${r.text}`),
  ];
  if (!d.ok) lines.push('cannot be met:', ...d.unmet.map((u) => `  - ${u}`));
  return lines.join('\n');
}

/** `isolane policy explain [workload]`: exit 0 when a strategy serves it, 4 when none can. */
export async function policyExplainCommand(ctx: Context, workload: string, opts: { json?: boolean }): Promise<number> {
  const project = await Project.open(ctx);
  const { decision, facts } = await explain(project, workload);
  if (opts.json) printJson({ ...decision, facts });
  else process.stdout.write(`${render(decision, facts)}\n`);
  return decision.ok ? EXIT.ok : EXIT.policyUnmet;
}
