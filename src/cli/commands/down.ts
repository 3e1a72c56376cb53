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
  if (report.recordOnly) {
    process.stdout.write(`removed the record of lane ${lane} only: it did not match this repository, so nothing else was touched\n`);
    return;
  }
  const how = report.wasHalfMade ? ', which had never finished creation' : report.finishedInterrupted ? ': finished an interrupted removal' : '';
  const out: string[] = [`removed lane ${lane} (${report.path})${how}`];
  if (report.deletedBranch) out.push(`deleted branch ${report.deletedBranch.name} (was ${report.deletedBranch.oid.slice(0, 12)})`);
  if (report.keptBranch) out.push(`kept branch ${report.keptBranch.name}: ${report.keptBranch.reason}`);
  const { files, commits, submoduleCommits, unchecked, keptUnder } = report.discarded;
  if (files.length > 0) out.push(`discarded ${files.length} uncommitted file(s):`, ...files.map((f) => `  ${f}`));
  if (commits.length > 0) {
    out.push(`discarded ${commits.length} commit(s) no other ref held:`, ...commits.map((c) => `  ${c.oid.slice(0, 12)} ${c.subject}  (${c.tip})`));
    if (keptUnder) {
      out.push(`  they are kept under ${keptUnder}/ (fetched home first where they were only in the lane):`);
      out.push(`  recover one with: git branch <new-name> ${keptUnder}/<ref>   (git for-each-ref ${keptUnder}/ lists them; stash entries: git stash apply <ref>)`);
    }
  }
  for (const sub of submoduleCommits) {
    out.push(`discarded ${sub.commits.length} commit(s) of submodule ${sub.path} its remotes lacked:`, ...sub.commits.map((c) => `  ${c.oid.slice(0, 12)} ${c.subject}`));
  }
  if (unchecked.length > 0) out.push('could not check, so removed unchecked:', ...unchecked.map((u) => `  ${u}`));
  for (const note of report.notes ?? []) out.push(`note: ${note}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
