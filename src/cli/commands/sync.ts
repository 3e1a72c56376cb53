import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { sync, type LaneSync, type SyncReport } from '../../engine/sync.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

const short = (oid: string | undefined): string => (oid ?? '?').slice(0, 12);

function describe(r: LaneSync, dryRun: boolean): string {
  switch (r.result) {
    case 'rebased': {
      const setup = r.setup ? `; its lockfile changed, set-up ran again: ${r.setup.ok ? 'ok' : `FAILED (${r.setup.error?.split('\n')[0] ?? ''})`}` : '';
      return `rebased ${short(r.from)} -> ${short(r.to)} (${r.commits ?? 0} commit${r.commits === 1 ? '' : 's'} replayed)${setup}`;
    }
    case 'would-rebase':
      return `would rebase cleanly (${r.commits ?? 0} commit${r.commits === 1 ? '' : 's'})`;
    case 'up-to-date':
      return 'up to date';
    case 'conflict': {
      const how = dryRun ? 'would conflict' : `conflict: rolled back, left as it was${r.restored ? ` (restored explicitly: ${r.restored.join('; ')})` : ''}`;
      return `${how}${r.files && r.files.length > 0 ? `; files: ${r.files.join(', ')}` : ''}`;
    }
    case 'skipped':
      return `skipped: ${r.reason ?? ''}`;
    case 'failed':
      return `FAILED: ${r.error?.message ?? ''}`;
  }
}

/** 6 when a lane conflicted (or would), else 5 when a set-up run again failed, else 1 when a lane failed, else 0. */
export function syncExitCode(report: SyncReport): number {
  if (report.lanes.some((l) => l.result === 'conflict')) return EXIT.conflicts;
  if (report.lanes.some((l) => l.setup?.ok === false)) return EXIT.setupFailed;
  if (report.lanes.some((l) => l.result === 'failed')) return EXIT.failed;
  return EXIT.ok;
}

export async function syncCommand(ctx: Context, lanes: string[], opts: { all?: boolean; dryRun?: boolean; fetch?: boolean; json?: boolean }): Promise<number> {
  const report = await sync(await Project.open(ctx), { lanes, all: opts.all === true, dryRun: opts.dryRun === true, fetch: opts.fetch !== false });
  if (opts.json) {
    printJson(report);
    return syncExitCode(report);
  }
  const out: string[] = [];
  for (const b of report.bases) {
    const onto = `${b.ref ?? b.base} at ${short(b.oid)}`;
    const line =
      !b.fetched ? (b.note ?? `${b.base} is ${onto}`)
      : b.ref === 'FETCH_HEAD' ? `fetched ${b.remote ?? ''} (no ref moved): ${b.base} is at ${short(b.oid)} there`
      : `fetched ${b.remote ?? ''}: ${b.base} is ${onto}`;
    out.push(line);
  }
  const width = Math.max(0, ...report.lanes.map((l) => l.lane.length));
  for (const r of report.lanes) {
    if (r.recovered) out.push(`${r.lane.padEnd(width)}  note: ${r.recovered}`);
    out.push(`${r.lane.padEnd(width)}  ${describe(r, report.dryRun)}`);
  }
  if (report.lanes.length === 0) out.push('no lanes to sync');
  const conflicted = report.lanes.filter((l) => l.result === 'conflict');
  if (conflicted.length > 0 && !report.dryRun) {
    const onto = (base: string | undefined): string => report.bases.find((b) => b.base === base)?.ref?.replace(/^refs\/(?:remotes|heads)\//, '') ?? base ?? 'the base';
    out.push(`to resolve a conflict by hand: cd "$(isolane path <lane>)" && git rebase ${onto(conflicted[0]?.base)}`);
  }
  if (report.dryRun) out.push('(dry run: nothing was changed)');
  process.stdout.write(`${out.join('\n')}\n`);
  return syncExitCode(report);
}
