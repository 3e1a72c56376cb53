import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { readyLane, run } from '../../engine/run.js';
import { assertLaneName } from '../../git/names.js';

/** An interactive shell in the lane: inside its container, or in its directory on the host. */
export async function shellCommand(ctx: Context, lane: string): Promise<number> {
  assertLaneName(lane);
  const project = await Project.open(ctx);
  const record = await readyLane(project, lane);
  if (record.strategy !== 'container') return (await run(project, lane, [ctx.env.SHELL ?? '/bin/sh'], { stdio: 'inherit', interactive: true })).exitCode;
  // bash when the image has it; the prompt names the lane (its container's hostname is the lane
  // too, so the image's own prompt, such as Debian's \u@\h:\w\$, shows it as well).
  const argv = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash -l; fi; exec /bin/sh -l'];
  const result = await run(project, lane, argv, { stdio: 'inherit', interactive: true, env: { PS1: `\\u@${lane}:\\w\\$ ` } });
  return result.exitCode;
}
