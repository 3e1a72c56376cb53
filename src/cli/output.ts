import type { Logger } from '../context.js';
import { isIsolaneError } from '../errors.js';
import { exitCodeFor } from './exit-codes.js';

export interface GlobalOptions {
  readonly json?: boolean;
}

/** Progress goes to stderr on a terminal only; pipes and --json stay quiet. */
export function cliLogger(json: boolean): Logger {
  const tty = process.stderr.isTTY && !json;
  return {
    progress: (m) => {
      if (tty) process.stderr.write(`\x1b[2m${m}\x1b[0m\n`);
    },
    warn: (m) => {
      process.stderr.write(`isolane: warning: ${m}\n`);
    },
    ...(tty
      ? {
          step: (stage: string, done: number, total: number) => {
            process.stderr.write(done >= total ? '\r\x1b[K' : `\r\x1b[K\x1b[2m  ${stage} ${Math.floor((100 * done) / total)}% (${done}/${total})\x1b[0m`);
          },
        }
      : {}),
    debug: (m) => {
      if (process.env.ISOLANE_DEBUG) process.stderr.write(`isolane: debug: ${m}\n`);
    },
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The one place errors become text (or JSON on stderr) and an exit status. */
export function renderError(error: unknown, json: boolean): number {
  if (isIsolaneError(error)) {
    if (json) {
      process.stderr.write(`${JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint, ...error.data } })}\n`);
    } else {
      process.stderr.write(`isolane: ${error.message}\n${error.hint ? `  → ${error.hint}\n` : ''}`);
    }
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json) process.stderr.write(`${JSON.stringify({ error: { code: 'INTERNAL', message } })}\n`);
  else process.stderr.write(`isolane: unexpected error: ${message}\n  → please report it with the command you ran\n`);
  return 1;
}

/** A fixed-width table for humans. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
