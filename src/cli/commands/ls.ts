import type { Context } from '../../context.js';
import { list, type LaneSummary } from '../../engine/list.js';
import { Project } from '../../engine/project.js';
import { laneDiskMeter } from '../../engine/disk.js';
import { formatBytes } from '../../size.js';
import { printJson, table } from '../output.js';
import { describeService } from '../../services/status.js';

const show = (v: number | boolean | undefined): string => (v === undefined ? '-' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));

export async function lsCommand(ctx: Context, opts: { json?: boolean; disk?: boolean }): Promise<void> {
  const project = await Project.open(ctx);
  const lanes = opts.disk ? await withDisk(project, await list(project)) : await list(project);
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
  const headers = ['LANE', 'STATE', 'STRATEGY', 'BRANCH', 'DIRTY', 'AHEAD/BEHIND', 'MERGED', 'CREATED', ...(withPorts ? ['PORTS'] : []), ...(opts.disk ? ['DISK'] : []), 'PATH'];
  const withDiskCells = opts.disk ? rows.map((r, i) => [...r.slice(0, -1), lanes[i]?.diskBytes === undefined ? '-' : formatBytes(lanes[i]?.diskBytes ?? 0), ...r.slice(-1)]) : rows;
  process.stdout.write(`${table(headers, withDiskCells)}\n`);
  for (const l of lanes) {
    if (l.note) process.stdout.write(`  ${l.lane}: ${l.note}\n`);
    if (l.services?.length) process.stdout.write(`  ${l.lane}: services: ${l.services.map(describeService).join('; ')}\n`);
  }
  // What gc would take without being asked for merged lanes: the broken ones (it still keeps any holding work).
  const broken = lanes.filter((l) => ['missing', 'interrupted', 'orphan'].includes(l.state) || l.broken !== undefined);
  const merged = lanes.filter((l) => l.state === 'ready' && l.moved === true && l.merged === true && l.dirty === 0);
  if (broken.length > 0 || merged.length > 0) {
    const bytes = (ls: readonly LaneSummary[]): string => (opts.disk ? ` (${formatBytes(ls.reduce((s, l) => s + (l.diskBytes ?? 0), 0))})` : '');
    const parts = [
      ...(broken.length > 0 ? [`${broken.length} broken lane(s)${bytes(broken)}: \`isolane gc\``] : []),
      ...(merged.length > 0 ? [`${merged.length} clean lane(s) with nothing unmerged${bytes(merged)}: \`isolane gc --merged --dry-run\` checks them`] : []),
    ];
    process.stdout.write(`reclaimable: ${parts.join('; ')}\n`);
  }
}

/** Each lane's own disk (`--disk`): walks its files, so only on request. */
async function withDisk(project: Project, lanes: LaneSummary[]): Promise<LaneSummary[]> {
  const measure = laneDiskMeter(project);
  const out: LaneSummary[] = [];
  for (const l of lanes) {
    const record = await project.journal.read(l.lane).catch(() => undefined);
    const bytes = l.state === 'missing' || l.state === 'corrupt' ? undefined : await measure(record ?? { lane: l.lane, strategy: l.strategy, path: l.path });
    out.push(bytes === undefined ? l : { ...l, diskBytes: bytes });
  }
  return out;
}
