import type { Context } from '../../context.js';
import { IsolaneError } from '../../errors.js';
import { Project } from '../../engine/project.js';
import { readyLane } from '../../engine/run.js';
import { assertLaneName } from '../../git/names.js';
import { dotenvLines, exportLines } from '../../resources/env/format.js';
import { laneEnvironment } from '../../resources/env/lane-env.js';
import { printJson, writeOut } from '../output.js';

/**
 * Prints a lane's environment as the host sees it (`eval "$(isolane env <lane>)"`): shell export
 * lines, JSON, or dotenv lines. Inside a container lane, ISOLANE_PATH and ${path} are its mount.
 */
export async function envCommand(ctx: Context, lane: string, opts: { json?: boolean; dotenv?: boolean }): Promise<void> {
  assertLaneName(lane);
  if (opts.json && opts.dotenv) throw new IsolaneError('USAGE', 'choose one of --json and --dotenv');
  const project = await Project.open(ctx);
  const record = await readyLane(project, lane);
  project.checkRecord(record);
  const env = laneEnvironment(record, project.config);
  if (opts.json) printJson({ lane, env });
  else writeOut(opts.dotenv ? dotenvLines(env) : exportLines(env));
}
