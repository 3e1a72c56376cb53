import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { assertLaneName } from '../../git/names.js';
import { stopLaneServices } from '../../services/stop.js';
import { printJson } from '../output.js';

export async function stopCommand(ctx: Context, lane: string, service: string | undefined, opts: { json?: boolean }): Promise<void> {
  assertLaneName(lane);
  const results = await stopLaneServices(await Project.open(ctx), lane, service);
  if (opts.json) {
    printJson({ lane, services: results });
    return;
  }
  for (const r of results) {
    const what = r.stopped ? (r.killed ? 'stopped (killed: it did not end on SIGTERM within 10 s)' : 'stopped') : r.was === 'never-started' ? 'never started' : 'was not running';
    process.stdout.write(`${r.service}: ${what}${r.note ? ` — ${r.note}` : ''}\n`);
  }
}
