import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { listening } from '../../resources/ports/bindable.js';
import { listLeases } from '../../resources/ports/leases.js';
import { printJson, table } from '../output.js';

/**
 * Lists every port lease of the repository: lane, name, port, whether something listens on it
 * now, and whether its lane still exists (a lease of a vanished lane is reclaimed by the next lease).
 */
export async function portsCommand(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const project = await Project.open(ctx);
  const [leases, { records, corrupt }] = await Promise.all([listLeases(project), project.journal.list()]);
  const lanes = new Set([...records.map((r) => r.lane), ...corrupt.map((c) => c.lane)]);
  const rows = await Promise.all(
    leases.map(async (l) => ({ lane: l.lane, name: l.name, port: l.port, listening: await listening(l.port), laneExists: lanes.has(l.lane), leasedAt: l.at })),
  );
  if (opts.json) {
    printJson({ range: project.config.ports?.range ?? null, leases: rows });
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(project.config.ports ? 'no port leases (each `isolane up` leases ports.names)\n' : 'no port leases (isolane.yaml declares no ports)\n');
    return;
  }
  const body = rows.map((r) => [r.lane + (r.laneExists ? '' : ' (gone)'), r.name, String(r.port), r.listening ? 'yes' : 'no']);
  process.stdout.write(`${table(['LANE', 'NAME', 'PORT', 'LISTENING'], body)}\n`);
}
