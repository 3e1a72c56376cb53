import type { Context } from '../../context.js';
import { durationOption } from '../../duration.js';
import { gc } from '../../engine/gc.js';
import type { Project } from '../../engine/project.js';
import { watchServices, type WatchEvent } from '../../services/watch.js';

/** Test hook: a shorter first backoff (ms), never a longer one. */
function backoffFromEnv(): number | undefined {
  const ms = Number(process.env.ISOLANE_WATCH_BACKOFF_MS);
  return Number.isInteger(ms) && ms >= 10 && ms < 1000 ? ms : undefined;
}

export async function watchCommand(ctx: Context, opts: { gcEvery?: string; json?: boolean }): Promise<number> {
  const gcEvery = opts.gcEvery === undefined ? undefined : durationOption(opts.gcEvery, '--gc-every');
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
    // `gc --yes` (broken lanes and leftovers; never merged or idle ones unasked) at most every gcEvery.
    let lastGc = 0;
    const onTick = async (project: Project): Promise<void> => {
      if (gcEvery === undefined || Date.now() - lastGc < gcEvery) return;
      lastGc = Date.now();
      const r = await gc(project, { act: true });
      const removed = [...r.lanes.filter((l) => l.outcome === 'removed').map((l) => `lane ${l.lane}`), ...r.leftovers.filter((l) => l.removed).map((l) => l.what)];
      if (removed.length > 0) print({ at: new Date().toISOString(), event: 'gc', message: `gc removed ${removed.join(', ')}` });
    };
    await watchServices(ctx, { signal: controller.signal, onEvent: print, onTick, ...(backoffMs ? { backoffMs } : {}) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
