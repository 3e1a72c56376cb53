import type { Context } from '../../context.js';
import { Journal } from '../../engine/journal.js';
import { readyLane } from '../../engine/ready-lane.js';
import { assertLaneName } from '../../git/names.js';
import { locateRepo } from '../../git/repo.js';
import { printJson, writeOut } from '../output.js';
import { isMounted } from '../../snapshot/mountinfo.js';

export async function pathCommand(ctx: Context, lane: string, opts: { json?: boolean }): Promise<void> {
  assertLaneName(lane);
  // The hot path of `cd "$(isolane path x)"`: the journal alone, no config or strategy loaded.
  const repo = await locateRepo(ctx, { runsGit: false });
  // A lane whose set-up failed is there to be looked at.
  const record = await readyLane({ journal: Journal.of(repo.commonDir), repo }, lane, true);
  // A lane whose files are a mount lost in a reboot is mounted again before anyone goes there.
  if (record.place?.mounted === true && !(await isMounted(record.path))) await (await import('./path-remount.js')).remount(ctx, lane);
  if (opts.json) printJson({ lane, path: record.path });
  else writeOut(`${record.path}\n`);
}
