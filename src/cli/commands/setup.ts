import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { assertLaneName } from '../../git/names.js';
import { setupAgain } from '../../resources/setup/setup-again.js';
import { printJson } from '../output.js';

/** `isolane setup <lane>`: exit 0 when the steps pass (the lane is ready), 5 when one fails. */
export async function setupCommand(ctx: Context, lane: string, opts: { json?: boolean }): Promise<void> {
  assertLaneName(lane);
  const project = await Project.open(ctx);
  const record = await setupAgain(project, lane);
  if (opts.json) {
    printJson(record);
    return;
  }
  const steps = project.config.setup.length;
  process.stdout.write(steps === 0 ? `lane ${lane} is ready (isolane.yaml has no set-up steps)\n` : `lane ${lane} is set up: ${steps} step${steps === 1 ? '' : 's'} passed\n`);
}
