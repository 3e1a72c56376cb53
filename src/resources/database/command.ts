import { IsolaneError } from '../../errors.js';

/** Upper bounds for a create or drop command: its time and what isolane keeps of its output. */
export const COMMAND_TIMEOUT_MS = 10 * 60_000;
const MAX_OUTPUT = 1 << 20;
const MAX_URL = 2048;

export interface CommandRun {
  readonly argv: readonly string[];
  /** What the command sees: the caller's environment, the lane's, and ISOLANE_DB_NAME. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
}

/** Runs a provider command (argv, no shell) on the host; its stdout, or an error with its stderr's tail. */
export async function runProviderCommand(what: string, run: CommandRun): Promise<string> {
  const [file, ...args] = run.argv;
  if (file === undefined) throw new TypeError('a provider command needs argv');
  const { execa } = await import('execa'); // only when a provider command runs
  const result = await execa(file, args, {
    cwd: run.cwd,
    env: run.env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: COMMAND_TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT,
    ...(run.signal ? { cancelSignal: run.signal } : {}),
  });
  if (result.failed) {
    const notFound = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const why = notFound
      ? `${file} was not found`
      : result.timedOut
        ? `it did not finish within ${COMMAND_TIMEOUT_MS / 1000} s`
        : `it exited ${result.exitCode ?? result.signal ?? '?'}: ${tail(result.stderr) || tail(result.stdout) || 'no output'}`;
    throw new IsolaneError('DATABASE_FAILED', `database.${what} (${JSON.stringify(run.argv)}) failed: ${why}`, {
      hint: notFound ? `install ${file}, or fix database.${what} in isolane.yaml` : `run it by hand with ISOLANE_DB_NAME=${run.env.ISOLANE_DB_NAME ?? ''} to see why`,
      data: { argv: run.argv, exitCode: result.exitCode, stderr: tail(result.stderr, 2000) },
    });
  }
  return typeof result.stdout === 'string' ? result.stdout : '';
}

/** The URL a create command printed: its first line, which must be one URL of printable characters. */
export function urlFromOutput(stdout: string): string {
  const first = stdout.split('\n', 1)[0]?.trim() ?? '';
  if (!first) throw new IsolaneError('DATABASE_FAILED', 'database.create printed no URL: its first line of output must be the connection URL of the lane database');
  if (first.length > MAX_URL || !/^[\x21-\x7e]+$/.test(first) || !URL.canParse(first)) {
    throw new IsolaneError('DATABASE_FAILED', `database.create's first line is not a URL: ${JSON.stringify(first.slice(0, 200))}`, {
      hint: 'print the connection URL alone on the first line (e.g. postgres://user:password@host:5432/db); anything else on later lines',
    });
  }
  return first;
}

function tail(text: unknown, max = 400): string {
  const s = typeof text === 'string' ? text.trim() : '';
  return s.length > max ? `…${s.slice(-max)}` : s;
}
