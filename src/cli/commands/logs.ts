import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { assertLaneName } from '../../git/names.js';
import { logSources, readLogChunk } from '../../services/logs.js';

/** Prints the services' logs, each line prefixed by its service when there are several; -f follows until SIGINT. */
export async function logsCommand(ctx: Context, lane: string, service: string | undefined, opts: { follow?: boolean; json?: boolean }): Promise<void> {
  assertLaneName(lane);
  const sources = await logSources(await Project.open(ctx), lane, service);
  const prefixed = sources.length > 1;
  const width = Math.max(...sources.map((s) => s.service.length));
  const state = sources.map((s) => ({ ...s, offset: 0, partial: '' }));
  const emit = (s: (typeof state)[number], text: string, flush: boolean): void => {
    const lines = (s.partial + text).split('\n');
    s.partial = flush ? '' : (lines.pop() ?? '');
    const out = flush && lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
    if (out.length === 0) return;
    if (opts.json) for (const line of out) process.stdout.write(`${JSON.stringify({ service: s.service, line })}\n`);
    else process.stdout.write(out.map((l) => (prefixed ? `${s.service.padEnd(width)} | ${l}` : l)).join('\n') + '\n');
  };
  const drain = async (flush: boolean): Promise<void> => {
    for (const s of state) {
      for (;;) {
        const { text, next } = await readLogChunk(s.file, s.offset);
        s.offset = next;
        if (text === '') break;
        emit(s, text, false);
      }
      if (flush && s.partial) emit(s, '', true);
    }
  };
  if (!opts.follow) {
    await drain(true);
    return;
  }
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    while (!controller.signal.aborted) {
      await drain(false);
      await ctx.sleep(250, controller.signal).catch(() => undefined);
    }
    await drain(true);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
