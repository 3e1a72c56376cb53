import type { Context } from '../../context.js';
import { down } from '../../engine/down.js';
import { Project } from '../../engine/project.js';
import { assertLaneName } from '../../git/names.js';
import { printJson } from '../output.js';

export async function downCommand(ctx: Context, lane: string, opts: { force?: boolean; keepBranch?: boolean; json?: boolean }): Promise<void> {
  assertLaneName(lane);
  const report = await down(await Project.open(ctx), lane, { force: opts.force === true, keepBranch: opts.keepBranch === true });
  if (opts.json) {
    printJson(report);
    return;
  }
  const out: string[] = [`removed lane ${lane} (${report.path})${report.wasHalfMade ? ', which had never finished creation' : ''}`];
  if (report.deletedBranch) out.push(`deleted branch ${report.deletedBranch.name} (was ${report.deletedBranch.oid.slice(0, 12)})`);
  if (report.keptBranch) out.push(`kept branch ${report.keptBranch.name}: ${report.keptBranch.reason}`);
  const { files, commits } = report.discarded;
  if (files.length > 0) out.push(`discarded ${files.length} uncommitted file(s):`, ...files.map((f) => `  ${f}`));
  if (commits.length > 0) {
    out.push(`discarded ${commits.length} commit(s) no other ref holds:`, ...commits.map((c) => `  ${c.oid.slice(0, 12)} ${c.subject}`));
    if (report.deletedBranch) out.push(`  (recover them with: git branch ${report.deletedBranch.name} ${report.deletedBranch.oid})`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
