import { simpleGit } from 'simple-git';
import type { Context } from '../context.js';
import { GitError } from '../errors.js';
import { ALLOWED_GIT_ENV, scrubGitEnv } from './env.js';

export interface GitResult {
  readonly stdout: string;
  readonly exitCode: number;
}

export interface GitOptions {
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-base --is-ancestor`). */
  readonly okExitCodes?: readonly number[];
  readonly timeoutMs?: number;
}

/**
 * The one place that runs git: argv arrays only, a scrubbed environment, a timeout and the
 * caller's AbortSignal on every call. simple-git's own guards (unsafe options, abbreviated
 * options, environment) stay on.
 */
export async function runGit(ctx: Context, cwd: string, argv: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  let exitCode = 0;
  let stderr = '';
  const git = simpleGit({
    baseDir: cwd,
    allowEnvironment: ALLOWED_GIT_ENV,
    timeout: { block: opts.timeoutMs ?? ctx.gitTimeoutMs },
    ...(ctx.signal ? { abort: ctx.signal } : {}),
    // simple-git treats "exit 1 with empty stderr" as success; record the real status instead.
    errors(error, result) {
      exitCode = result.exitCode;
      stderr = Buffer.concat(result.stdErr).toString('utf8');
      if (result.exitCode === 0 || opts.okExitCodes?.includes(result.exitCode)) return undefined;
      return error ?? Buffer.from(stderr || `exit ${result.exitCode}`);
    },
  }).env(scrubGitEnv(ctx.env));
  try {
    const stdout = await git.raw([...argv]);
    return { stdout, exitCode };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new GitError(argv, cwd, exitCode === 0 ? undefined : exitCode, stderr || message, { cause });
  }
}

/** git's messages when another process holds one of its lock files. */
const LOCK_CONTENTION =
  /Unable to create '[^']*\.lock': File exists|could not lock config file[^\n]*File exists|Another git process seems to be running/i;

export function isLockContention(error: unknown): boolean {
  return error instanceof GitError && LOCK_CONTENTION.test(error.stderr);
}
