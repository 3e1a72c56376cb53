import { IsolaneError } from '../../errors.js';
import type { StepFailure } from './run-steps.js';

/** Lines of a failed step's output shown in the error (the log keeps the rest). */
const SHOWN_LINES = 20;

/** A set-up step failed: the lane is kept, listed as setup-failed. `isolane` exits 5. */
export class SetupFailedError extends IsolaneError {
  static override readonly errorClass: string = 'SetupFailedError';
  override readonly name = 'SetupFailedError';
  constructor(lane: string, failure: StepFailure, total: number, log: string) {
    const shown = failure.output.trimEnd().split('\n').slice(-SHOWN_LINES).join('\n');
    super('SETUP_FAILED', `set-up step ${failure.step} of ${total} (\`${failure.argv.join(' ')}\`) failed in lane ${lane}: ${failure.why}${shown ? `\n${shown}` : ''}`, {
      hint: `the lane is kept (\`isolane ls\` shows it as setup-failed; its full output is in ${log}): fix the cause or isolane.yaml's setup, then \`isolane setup ${lane}\` runs the steps again; or remove it with \`isolane down ${lane}\``,
      data: { lane, step: failure.step, argv: failure.argv, exitCode: failure.exitCode ?? null, log },
    });
  }
}
