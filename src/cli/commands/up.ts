import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { up } from '../../engine/up.js';
import { assertLaneName, assertUserRevision } from '../../git/names.js';
import { printJson } from '../output.js';

export async function upCommand(ctx: Context, lane: string, opts: { from?: string; strategy?: string; workload?: string; json?: boolean }): Promise<void> {
  // Untrusted input is checked before any git call.
  assertLaneName(lane);
  if (opts.from !== undefined) assertUserRevision(opts.from);
  const project = await Project.open(ctx);
  const record = await up(project, lane, { ...(opts.from ? { from: opts.from } : {}), ...(opts.strategy ? { strategy: opts.strategy } : {}), ...(opts.workload ? { workload: opts.workload } : {}) });
  if (opts.json) {
    printJson(record);
    return;
  }
  // Why this strategy goes to stderr: scripts read the path from stdout.
  if (record.workload) process.stderr.write(`workload ${record.workload}: ${record.strategy} (${record.reasons?.at(-1) ?? 'the policy default'})\n`);
  process.stdout.write(`${record.path}\n`);
}
