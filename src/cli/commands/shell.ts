import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { readyLane, run } from '../../engine/run.js';
import { assertLaneName } from '../../git/names.js';

/** An interactive shell in the lane: inside its container, or in its directory on the host. */
export async function shellCommand(ctx: Context, lane: string): Promise<number> {
  assertLaneName(lane);
  const project = await Project.open(ctx);
  const record = await readyLane(project, lane);
  const shell = (await project.strategy(record.strategy)).shell(ctx.env, lane);
  return (await run(project, lane, shell.argv, { stdio: 'inherit', interactive: true, ...(shell.env ? { env: shell.env } : {}) })).exitCode;
}
