import type { Context } from '../../context.js';
import { IsolaneError } from '../../errors.js';
import { parseDuration } from '../../services/duration.js';
import { watchServices, type WatchEvent } from '../../services/watch.js';

/** Test hook: a shorter first backoff (ms), never a longer one. */
function backoffFromEnv(): number | undefined {
  const ms = Number(process.env.ISOLANE_WATCH_BACKOFF_MS);
  return Number.isInteger(ms) && ms >= 10 && ms < 1000 ? ms : undefined;
}

export async function watchCommand(ctx: Context, opts: { gcEvery?: string; json?: boolean }): Promise<number> {
  if (opts.gcEvery !== undefined) {
    const ms = parseDuration(opts.gcEvery);
    if (typeof ms === 'string') throw new IsolaneError('USAGE', `--gc-every: ${ms}`);
    throw new IsolaneError('USAGE', '--gc-every is not available yet: this version of isolane has no gc to schedule', {
      hint: 'run `isolane watch` without --gc-every',
    });
  }
  const controller = new AbortController();
  // on, not once: a listener that removed itself would leave execa's signal-exit alone to re-raise the signal.
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const print = (e: WatchEvent): void => {
    if (opts.json) process.stdout.write(`${JSON.stringify(e)}\n`);
    else process.stdout.write(`${e.at.slice(11, 19)} ${e.event === 'warning' ? 'warning: ' : ''}${e.message}\n`);
  };
  try {
    const backoffMs = backoffFromEnv();
    await watchServices(ctx, { signal: controller.signal, onEvent: print, ...(backoffMs ? { backoffMs } : {}) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
