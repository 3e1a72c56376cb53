import type { Context } from '../../context.js';
import { list, type LaneSummary } from '../../engine/list.js';
import { Project } from '../../engine/project.js';
import { printJson, table } from '../output.js';

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
  const rows = lanes.map((l: LaneSummary) => [
    l.lane,
    l.state,
    l.strategy,
    l.branch ?? '-',
    show(l.dirty),
    `${show(l.ahead)}/${show(l.behind)}`,
    show(l.merged),
    l.createdAt?.slice(0, 16).replace('T', ' ') ?? '-',
    l.path,
  ]);
  process.stdout.write(`${table(['LANE', 'STATE', 'STRATEGY', 'BRANCH', 'DIRTY', 'AHEAD/BEHIND', 'MERGED', 'CREATED', 'PATH'], rows)}\n`);
  for (const l of lanes) if (l.note) process.stdout.write(`  ${l.lane}: ${l.note}\n`);
}
