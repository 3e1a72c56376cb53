import type { Context } from '../context.js';
import { GitError } from '../errors.js';
import { MAX_BUFFER, spawnGit, type Ended, type SpawnOptions } from './spawn-git.js';

export interface GitResult {
  readonly stdout: string;
  readonly exitCode: number;
}

export interface GitOptions extends Partial<SpawnOptions> {
  /** Exit codes that are answers, not failures (e.g. 1 for `rev-parse --verify` of a missing ref). */
  readonly okExitCodes?: readonly number[];
  /**
   * What this read-only call reads, and which incarnation of it (src/git/ahead.ts): the result
   * may then come from the same call started before the command loaded (the CLI's `ls`).
   */
  readonly aheadKey?: string;
}

/**
 * The one place that runs git: argv arrays only, a scrubbed environment, a timeout (escalating
 * to SIGKILL) and the caller's AbortSignal on every call (src/git/spawn-git.ts).
 * node:child_process directly: a git call is the hot path of every command, and a process
 * library costs start-up and CPU on each.
 */
export async function runGit(ctx: Context, cwd: string, argv: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  // hrtime, not performance.now(): the global performance loads perf_hooks (about 1 ms).
  const started = process.hrtime.bigint();
  const timeoutMs = opts.timeoutMs ?? ctx.gitTimeoutMs;
  const spawnOpts: SpawnOptions = { timeoutMs, ...(opts.input === undefined ? {} : { input: opts.input }), ...(opts.watchFifo ? { watchFifo: true } : {}), ...(opts.env ? { env: opts.env } : {}) };
  const pending = startedAhead(ctx, cwd, argv, spawnOpts, opts.aheadKey);
  const ahead = pending && succeeded(await pending);
  const result = ahead ?? (await spawnGit(ctx, cwd, argv, spawnOpts));
  const { exitCode, stdout, stderr } = result;
  ctx.logger.debug(`git ${argv.join(' ')} (exit ${String(exitCode)}, ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms${ahead ? ', started ahead' : ''})`);
  if (result.stopped === undefined && exitCode !== undefined && (exitCode === 0 || opts.okExitCodes?.includes(exitCode))) {
    return { stdout, exitCode };
  }
  const why = {
    fifo: 'stopped: it blocked opening a FIFO (a named pipe where git expects a file, e.g. a .gitignore)',
    timeout: `timed out after ${timeoutMs} ms`,
    cancel: 'cancelled',
    maxBuffer: `stopped: more than ${MAX_BUFFER} bytes of output`,
    none: result.signal ? `killed by ${result.signal}` : '',
  }[result.stopped ?? 'none'];
  const fallback = result.error ? `could not run git: ${result.error.message}` : 'no output';
  throw new GitError(argv, cwd, exitCode, [stderr, why].filter(Boolean).join('\n') || fallback, { cause: result.error ?? result });
}

/**
 * The same call started ahead (src/git/ahead.ts), where the command has such calls and this one
 * may be one: read-only, named by `key`, with no input, no extra environment and no locks to hand
 * on (a call started ahead holds none).
 */
function startedAhead(ctx: Context, cwd: string, argv: readonly string[], opts: SpawnOptions, key: string | undefined): Promise<Ended> | undefined {
  if (key === undefined || ctx.gitAhead === undefined || opts.input !== undefined || opts.env !== undefined || ctx.heldLocks.size > 0) return undefined;
  return ctx.gitAhead.take({ key, cwd, argv, timeoutMs: opts.timeoutMs, watchFifo: opts.watchFifo === true }, ctx.signal);
}

/** A call started ahead counts only if it succeeded: one that failed runs again, so its error is that of a call made now. */
const succeeded = (ended: Ended): Ended | undefined => (ended.stopped === undefined && ended.exitCode === 0 ? ended : undefined);

/** git's messages when another process holds one of its lock files. */
const LOCK_CONTENTION =
  /Unable to create '[^']*\.lock': File exists|could not lock config file[^\n]*File exists|Another git process seems to be running/i;

export function isLockContention(error: unknown): boolean {
  return error instanceof GitError && LOCK_CONTENTION.test(error.stderr);
}
