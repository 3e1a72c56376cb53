import { readFile } from 'node:fs/promises';
import { execa, type Options } from 'execa';
import type { Context } from '../context.js';
import { GitError } from '../errors.js';
import { scrubGitEnv } from './env.js';

export interface GitResult {
  readonly stdout: string;
  readonly exitCode: number;
}

export interface GitOptions {
  /** Exit codes that are answers, not failures (e.g. 1 for `rev-parse --verify` of a missing ref). */
  readonly okExitCodes?: readonly number[];
  readonly timeoutMs?: number;
  /** Written to git's stdin (for --stdin and --batch modes). */
  readonly input?: string;
  /**
   * git reads files a lane controls (a work tree's .gitignore files, say): stop it as soon as it
   * blocks opening a FIFO there, rather than when the timeout runs out.
   */
  readonly watchFifo?: boolean;
  /** Variables on top of the scrubbed environment (e.g. a scratch object directory). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Linux names this kernel function as the wait channel of a process blocked opening a FIFO. */
const FIFO_WAIT = 'wait_for_partner';

/**
 * The one place that runs git: argv arrays only, a scrubbed environment, a timeout (escalating
 * to SIGKILL) and the caller's AbortSignal on every call.
 */
export async function runGit(ctx: Context, cwd: string, argv: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  const started = performance.now();
  const child = execa('git', argv, {
    cwd,
    env: opts.env ? { ...scrubGitEnv(ctx.env), ...opts.env } : scrubGitEnv(ctx.env),
    extendEnv: false,
    // fd 3 onwards: the locks this operation holds (see Context.heldLocks).
    // execa's types omit raw descriptors past stdio[2]; Node (and execa at run time) accept them.
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...ctx.heldLocks] as unknown as Options['stdio'],
    ...(opts.input === undefined ? {} : { input: opts.input }),
    reject: false,
    stripFinalNewline: false,
    timeout: opts.timeoutMs ?? ctx.gitTimeoutMs,
    forceKillAfterDelay: 2_000,
    maxBuffer: 256 * 1024 * 1024,
    ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
  });
  let blockedOnFifo = false;
  const watchdog = opts.watchFifo
    ? setInterval(() => {
        void readFile(`/proc/${child.pid ?? 0}/wchan`, 'utf8').then(
          (wchan) => {
            if (wchan.trim() !== FIFO_WAIT) return;
            blockedOnFifo = true;
            child.kill('SIGKILL');
          },
          () => undefined, // gone already, or no /proc here: the timeout still bounds the call
        );
      }, 250)
    : undefined;
  const result = await child.finally(() => clearInterval(watchdog));
  const exitCode = result.exitCode;
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  ctx.logger.debug(`git ${argv.join(' ')} (exit ${String(exitCode)}, ${(performance.now() - started).toFixed(1)} ms)`);
  if (exitCode === 0 || (exitCode !== undefined && opts.okExitCodes?.includes(exitCode))) {
    return { stdout, exitCode };
  }
  const why = blockedOnFifo
    ? 'stopped: it blocked opening a FIFO (a named pipe where git expects a file, e.g. a .gitignore)'
    : result.timedOut ? `timed out after ${opts.timeoutMs ?? ctx.gitTimeoutMs} ms` : result.isCanceled ? 'cancelled' : result.signal ? `killed by ${result.signal}` : '';
  throw new GitError(argv, cwd, exitCode, [stderr, why].filter(Boolean).join('\n') || (result.shortMessage ?? 'no output'), { cause: result.cause ?? result });
}

/** git's messages when another process holds one of its lock files. */
const LOCK_CONTENTION =
  /Unable to create '[^']*\.lock': File exists|could not lock config file[^\n]*File exists|Another git process seems to be running/i;

export function isLockContention(error: unknown): boolean {
  return error instanceof GitError && LOCK_CONTENTION.test(error.stderr);
}
