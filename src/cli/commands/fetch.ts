import type { Context } from '../../context.js';
import { fetchLane } from '../../engine/fetch.js';
import { Project } from '../../engine/project.js';
import { assertLaneName } from '../../git/names.js';
import { printJson } from '../output.js';

export async function fetchCommand(ctx: Context, lane: string, opts: { json?: boolean }): Promise<void> {
  assertLaneName(lane);
  const report = await fetchLane(await Project.open(ctx), lane);
  if (opts.json) return printJson(report);
  const m = report.move;
  const what =
    m.kind === 'created' ? `created ${report.branch} at ${m.to.slice(0, 12)}`
    : m.kind === 'fast-forwarded' ? `fast-forwarded ${report.branch} to ${m.to.slice(0, 12)}`
    : m.kind === 'lane-behind' ? `left ${report.branch} as it is: the main repository is ahead of the lane`
    : m.kind === 'no-lane-branch' ? `the lane has no branch ${report.branch}; its other refs are under refs/isolane/lanes/${lane}/`
    : `${report.branch} is up to date`;
  process.stdout.write(`${what}${report.refs > 0 ? ` (${report.refs} ref(s) of the lane under refs/isolane/lanes/${lane}/)` : ''}\n`);
}
