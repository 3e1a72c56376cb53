import type { execa as Execa } from 'execa';
import type { ExecOptions, ExecResult } from '../lane/contract.js';
import { confinedArgv } from './confined-argv.js';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Runs argv in a directory on the host, inside the lane's cgroups when it has limits. With
 * inherited stdio (the CLI) the signals isolane receives are passed on to the child, so
 * `kill <isolane pid>` reaches the command.
 */
export async function execInDir(cwd: string, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const [file, ...args] = confinedArgv(opts.confine, argv);
  if (file === undefined) throw new TypeError('execInDir needs a command');
  // Loaded when a command really runs: the strategies that use this are loaded by `ls` and `env` too.
  const { execa } = await import('execa');
  // Listen before spawning: a signal that comes the moment the command starts is passed on
  // once it exists, never left to kill isolane and orphan the command.
  let child: ReturnType<typeof Execa> | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals): void => {
    if (child) child.kill(signal);
    else pending.push(signal);
  };
  const handlers = opts.stdio === 'inherit' ? FORWARDED_SIGNALS.map((s) => [s, () => forward(s)] as const) : [];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    child = execa(file, args, {
      cwd,
      env: opts.env,
      extendEnv: false,
      stdio: opts.stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      reject: false,
      cleanup: true,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
  } catch (e) {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    throw e;
  }
  child.once('spawn', () => opts.onStarted?.(child?.pid));
  for (const signal of pending.splice(0)) child.kill(signal);
  try {
    const result = await child;
    if (result instanceof Error && result.exitCode === undefined && result.signal === undefined) {
      throw result; // could not start (ENOENT and friends): execa's error names the command
    }
    return {
      exitCode: result.exitCode ?? 128 + signalNumber(result.signal),
      signal: result.signal,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
    };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

function signalNumber(signal: string | undefined): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return signal ? (table[signal] ?? 1) : 1;
}
