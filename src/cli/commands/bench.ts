import { runBench, type BenchCliOptions } from '../../../bench/cli.js';
import { renderText } from '../../../bench/reports/index.js';
import type { Context } from '../../context.js';
import { IsolaneError } from '../../errors.js';
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

export async function benchCommand(ctx: Context, opts: BenchCliOptions): Promise<void> {
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
    if (opts.json === true) {
      printJson(results);
      return;
    }
    const where = [`reports: ${files.markdown}`, `         ${files.html}`, `         ${files.json}`];
    where.push(stored ? `results kept for the policy: ${stored}` : 'a fixture was measured: no repository keeps these results (run it in yours, or --repo, for the policy to use them)');
    process.stdout.write(`${renderText(results)}\n\n${where.join('\n')}\n`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    status.done();
  }
}
