import type { Context } from '../../context.js';
import { list, type LaneSummary } from '../../engine/list.js';
import { Project } from '../../engine/project.js';
import { printJson, table } from '../output.js';
import { describeService } from '../../services/status.js';

const show = (v: number | boolean | undefined): string => (v === undefined ? '-' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));

export async function lsCommand(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const lanes = await list(await Project.open(ctx));
  if (opts.json) {
    printJson(lanes);
    return;
  }
  if (lanes.length === 0) {
    process.stdout.write('no lanes (create one with `isolane up <lane>`)\n');
    return;
  }
  // A column for published ports only when some lane has any: `127.0.0.1:49153->3000`, as docker ps writes it.
  const withPorts = lanes.some((l) => (l.ports?.length ?? 0) > 0);
  const ports = (l: LaneSummary): string[] => (withPorts ? [l.ports?.map((p) => `${p.hostIp}:${p.host}->${p.container}`).join(', ') || '-'] : []);
  const rows = lanes.map((l: LaneSummary) => [
    l.lane,
    l.state,
    l.strategy,
    l.branch ?? '-',
    show(l.dirty),
    `${show(l.ahead)}/${show(l.behind)}`,
    show(l.merged),
    l.createdAt?.slice(0, 16).replace('T', ' ') ?? '-',
    ...ports(l),
    l.path,
  ]);
  const headers = ['LANE', 'STATE', 'STRATEGY', 'BRANCH', 'DIRTY', 'AHEAD/BEHIND', 'MERGED', 'CREATED', ...(withPorts ? ['PORTS'] : []), 'PATH'];
  process.stdout.write(`${table(headers, rows)}\n`);
  for (const l of lanes) {
    if (l.note) process.stdout.write(`  ${l.lane}: ${l.note}\n`);
    if (l.services?.length) process.stdout.write(`  ${l.lane}: services: ${l.services.map(describeService).join('; ')}\n`);
  }
}
