import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { readyLane } from '../../engine/run.js';
import { assertLaneName } from '../../git/names.js';
import { printJson } from '../output.js';

export async function pathCommand(ctx: Context, lane: string, opts: { json?: boolean }): Promise<void> {
  assertLaneName(lane);
  const record = await readyLane(await Project.open(ctx), lane);
  if (opts.json) printJson({ lane, path: record.path });
  else process.stdout.write(`${record.path}\n`);
}
