import { writeSync } from 'node:fs';
import type { Logger } from '../context.js';
import { isIsolaneError } from '../errors.js';
import { exitCodeFor } from './exit-codes.js';

export interface GlobalOptions {
  readonly json?: boolean;
}

/**
 * Progress goes to stderr on a terminal only; pipes and --json stay quiet. Whether stderr is a
 * terminal is asked only when something reports progress: creating process.stderr loads Node's
 * stream modules, a few milliseconds `path` and `env` have no use for.
 */
export function cliLogger(json: boolean): Logger {
  let known: boolean | undefined;
  const tty = (): boolean => (known ??= !json && process.stderr.isTTY === true);
  const step = (stage: string, done: number, total: number): void => {
    process.stderr.write(done >= total ? '\r\x1b[K' : `\r\x1b[K\x1b[2m  ${stage} ${Math.floor((100 * done) / total)}% (${done}/${total})\x1b[0m`);
  };
  return {
    progress: (m) => {
      if (tty()) process.stderr.write(`\x1b[2m${m}\x1b[0m\n`);
    },
    warn: (m) => {
      process.stderr.write(`isolane: warning: ${m}\n`);
    },
    // Present only on a terminal: where it is absent, checkouts run without progress (src/git/checkout.ts).
    get step() {
      return tty() ? step : undefined;
    },
    debug: (m) => {
      if (process.env.ISOLANE_DEBUG) process.stderr.write(`isolane: debug: ${m}\n`);
    },
  };
}

/**
 * Writes to stdout at once, without Node's stream machinery (creating process.stdout costs a few
 * milliseconds of start-up for one line of output). Writes to stdout are synchronous on Linux
 * either way, so this never reorders output. A descriptor that would block (a non-blocking pipe
 * someone handed us) gets the rest through process.stdout; a reader that went away gets nothing.
 */
export function writeOut(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN') process.stdout.write(bytes.subarray(done));
    else if (code !== 'EPIPE') throw e;
  }
}

export function printJson(value: unknown): void {
  writeOut(`${JSON.stringify(value, null, 2)}\n`);
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
