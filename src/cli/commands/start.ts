import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { IsolaneError } from '../../errors.js';
import { assertLaneName } from '../../git/names.js';
import { startServices, type StartResult } from '../../services/start.js';
import { exitCodeFor } from '../exit-codes.js';
import { printJson } from '../output.js';

/** Exit 0 when every service is healthy (or was running already); else SERVICE_FAILED's status. */
export async function startCommand(ctx: Context, lane: string, service: string | undefined, opts: { json?: boolean }): Promise<number> {
  assertLaneName(lane);
  const controller = new AbortController();
  const abort = (): void => controller.abort(new IsolaneError('INTERRUPTED', 'interrupted while waiting for services to be ready; they keep running'));
  process.on('SIGINT', abort);
  let results: StartResult[];
  try {
    results = await startServices(await Project.open(ctx), lane, service, controller.signal);
  } finally {
    process.off('SIGINT', abort);
  }
  const failed = results.filter((r) => !r.already && r.state !== 'healthy');
  if (opts.json) {
    printJson({ lane, services: results });
  } else {
    for (const r of results) {
      const what = r.already ? `already running (${r.state}); nothing started` : r.state;
      const detail = [r.url, r.pid !== undefined ? `pid ${r.pid}` : undefined].filter(Boolean).join(', ');
      process.stdout.write(`${r.service}: ${what}${detail ? ` ${detail}` : ''}${r.note ? ` — ${r.note}` : ''}\n`);
      if (!r.already && r.state !== 'healthy') process.stdout.write(`  its output: isolane logs ${lane} ${r.service}  (${r.log})\n`);
    }
  }
  if (failed.length === 0) return 0;
  const message = `${failed.map((r) => `${r.service} of lane ${lane} is ${r.state}`).join(', ')}`;
  const hint = `see its output: \`isolane logs ${lane}${failed.length === 1 ? ` ${failed[0]?.service ?? ''}` : ''}\``;
  if (opts.json) process.stderr.write(`${JSON.stringify({ error: { code: 'SERVICE_FAILED', message, hint, services: failed.map((r) => r.service) } })}\n`);
  else process.stderr.write(`isolane: ${message}\n  → ${hint}\n`);
  return exitCodeFor('SERVICE_FAILED');
}
