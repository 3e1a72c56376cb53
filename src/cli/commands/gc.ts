import { createInterface } from 'node:readline/promises';
import type { Context } from '../../context.js';
import { durationOption } from '../../duration.js';
import { gc, type GcResult } from '../../engine/gc.js';
import { readGcLog } from '../../engine/gc-log.js';
import { Project } from '../../engine/project.js';
import { IsolaneError } from '../../errors.js';
import { formatBytes } from '../../size.js';
import { EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';

export interface GcCommandOptions {
  readonly merged?: boolean;
  readonly olderThan?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly json?: boolean;
  readonly log?: boolean;
}

/**
 * Plans, prints the plan, and acts only with --yes (or a "y" at a terminal). Exit 0 when every
 * removal went (lanes kept for their work or use are not failures); 1 when one failed.
 */
export async function gcCommand(ctx: Context, opts: GcCommandOptions): Promise<number> {
  const project = await Project.open(ctx);
  if (opts.log) return printLog(project, opts.json === true);
  if (opts.dryRun && opts.yes) throw new IsolaneError('USAGE', '--dry-run and --yes contradict each other', { hint: 'plan with --dry-run, then act with --yes' });
  const lanes = { ...(opts.merged ? { merged: true } : {}), ...(opts.olderThan !== undefined ? { olderThanMs: durationOption(opts.olderThan, '--older-than') } : {}) };
  if (opts.yes) {
    const result = await gc(project, { ...lanes, act: true });
    return finish(result, opts.json === true, true);
  }
  const plan = await gc(project, lanes);
  const work = plan.lanes.filter((l) => l.remove).length + plan.leftovers.length;
  if (!opts.dryRun && !opts.json && work > 0 && process.stdin.isTTY && process.stdout.isTTY) {
    process.stdout.write(`${describe(plan)}\n`);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const yes = /^y(es)?$/i.test((await rl.question(`remove ${work} item(s)? [y/N] `)).trim());
    rl.close();
    return yes ? finish(await gc(project, { ...lanes, act: true }), false, true) : EXIT.ok;
  }
  return finish(plan, opts.json === true, work === 0);
}

function finish(result: GcResult, json: boolean, quiet: boolean): number {
  if (json) printJson(result);
  else process.stdout.write(`${describe(result)}\n${quiet ? '' : 'nothing removed: run `isolane gc --yes` (same options) to remove what is listed\n'}`);
  return result.lanes.some((l) => l.outcome === 'failed') || result.leftovers.some((l) => l.removed === false) ? EXIT.failed : EXIT.ok;
}

function describe(r: GcResult): string {
  const verb = (l: GcResult['lanes'][number]): string => (l.outcome ?? (l.remove ? (r.acted ? 'remove' : 'would remove') : 'keep'));
  const rows = r.lanes.map((l) => [verb(l), l.lane, l.strategy, l.state, l.bytes === undefined ? '-' : formatBytes(l.bytes), [...l.reasons, ...(l.detail ? [l.detail] : [])].join('; ')]);
  const out: string[] = [];
  out.push(rows.length > 0 ? table(['ACTION', 'LANE', 'STRATEGY', 'STATE', 'DISK', 'WHY'], rows) : 'no lanes');
  if (r.leftovers.length > 0) {
    out.push('', 'parts of lanes that no longer exist:');
    for (const l of r.leftovers) out.push(`  ${l.removed === undefined ? (r.acted ? 'skipped' : 'would remove') : l.removed ? 'removed' : 'kept'}  ${l.what}${l.lane ? ` (lane ${l.lane})` : ''}: ${l.why}${l.error ? ` (${l.error})` : ''}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push('', `${r.acted ? 'reclaimed' : 'reclaimable'}: ${formatBytes(r.reclaimableBytes)} in lanes${r.leftovers.length > 0 ? `, plus ${r.leftovers.length} leftover(s)` : ''}`);
  return out.join('\n');
}

async function printLog(project: Project, json: boolean): Promise<number> {
  const entries = await readGcLog(project.stateDir);
  if (json) {
    printJson(entries);
    return EXIT.ok;
  }
  if (entries.length === 0) {
    process.stdout.write('gc has removed nothing in this repository\n');
    return EXIT.ok;
  }
  for (const e of entries) {
    const restore = e.branch ? `  restore: git branch ${e.branch.name} ${e.branch.oid}` : '';
    process.stdout.write(`${e.at}  ${e.what}: ${e.why}${restore}${e.keptUnder ? `  (commits kept under ${e.keptUnder}/)` : ''}\n`);
  }
  return EXIT.ok;
}
