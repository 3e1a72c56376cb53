import { runBench, type BenchCliOptions } from '../../../bench/cli.js';
import { renderText } from '../../../bench/reports/index.js';
import type { Context } from '../../context.js';
import { IsolaneError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

declare const __ISOLANE_VERSION__: string; // set by the bundler from package.json

/** A one-line status on a terminal, with the time so far; nothing in a pipe. */
function statusLine(): { step: (s: string) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  return {
    step: (s) => {
      if (tty) process.stderr.write(`\r\x1b[K\x1b[2m[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s.slice(0, (process.stderr.columns || 80) - 10)}\x1b[0m`);
    },
    done: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Exit 1 when a scenario failed: its reports are written, the rest measured, nothing kept for the policy. */
export async function benchCommand(ctx: Context, opts: BenchCliOptions): Promise<number> {
  const status = statusLine();
  // A signal stops the run at its next step, so the lanes, containers and temp files it made are
  // removed on the way out instead of left behind.
  let stopped: string | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    stopped = signal;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const step = (s: string): void => {
    if (stopped && s !== 'cleaning up') throw new IsolaneError('INTERRUPTED', `bench stopped by ${stopped}; what it made is removed`);
    status.step(s);
  };
  try {
    const { results, files, stored } = await runBench(ctx, opts, __ISOLANE_VERSION__, step);
    status.done();
    const failed = results.failures;
    if (opts.json === true) printJson(results);
    else {
      const where = [`reports: ${files.markdown}`, `         ${files.html}`, `         ${files.json}`];
      if (stored) where.push(`results kept for the policy: ${stored}`);
      else if (failed.length > 0) where.push('not kept for the policy: a scenario failed (see above); the results it has stay');
      else where.push('a fixture was measured: no repository keeps these results (run it in yours, or --repo, for the policy to use them)');
      process.stdout.write(`${renderText(results)}\n\n${where.join('\n')}\n`);
    }
    if (failed.length === 0) return EXIT.ok;
    process.stderr.write(`isolane: bench: ${failed.length} scenario(s) failed: ${failed.map((f) => f.scenario).join(', ')}\n`);
    return EXIT.failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    status.done();
  }
}
