import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { run } from '../../engine/run.js';
import { isIsolaneError } from '../../errors.js';
import { assertLaneName } from '../../git/names.js';
import { EXIT } from '../exit-codes.js';
import { renderError } from '../output.js';

/** What shells exit with for a command that does not exist. */
const EXIT_NOT_FOUND = 127;

/** The command's own exit status passes through; isolane's failures exit 125 (usage: 2, not found: 127). */
export async function runCommand(ctx: Context, lane: string, rawArgv: string[]): Promise<number> {
  // Commander keeps the `--` that separates isolane's arguments from the command's.
  const argv = rawArgv[0] === '--' ? rawArgv.slice(1) : rawArgv;
  try {
    assertLaneName(lane);
    const result = await run(await Project.open(ctx), lane, argv, { stdio: 'inherit' });
    return result.exitCode;
  } catch (e) {
    if (!isIsolaneError(e) && (e as { code?: string }).code === 'ENOENT') {
      process.stderr.write(`isolane: command not found: ${argv[0] ?? ''}\n`);
      return EXIT_NOT_FOUND;
    }
    // Not in the lane's container image: isolane says so and which image has it, as a shell would exit.
    if (isIsolaneError(e, 'COMMAND_NOT_FOUND')) {
      renderError(e, false);
      return EXIT_NOT_FOUND;
    }
    // Usage errors keep their 2; isolane's other failures must not look like the command's own 1.
    const code = renderError(e, false);
    return code === EXIT.failed ? EXIT.runFailed : code;
  }
}
