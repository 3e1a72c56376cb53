import type { Options } from 'execa';
import type { Context } from '../context.js';
import { GitError } from '../errors.js';
import { scrubGitEnv } from '../git/env.js';

/**
 * Settings that would tie the base's index to files outside it (a split index's shared part in
 * the git dir), or to a daemon (fsmonitor): a base index must be one self-contained file that
 * can be copied into any lane's admin dir.
 */
const SELF_CONTAINED_INDEX = ['-c', 'core.splitIndex=false', '-c', 'core.untrackedCache=false', '-c', 'core.fsmonitor=false'];

/**
 * git on the repository's object store with a work tree and an index of the base's own. runGit
 * (src/git/run-git.ts) takes no extra environment and git has no option for the index file,
 * so this is runGit's child set-up (scrubbed env, held locks, timeout, signal) plus
 * GIT_INDEX_FILE.
 */
export async function runBaseGit(ctx: Context, base: { commonDir: string; tree: string; index: string }, argv: readonly string[]): Promise<void> {
  const full = [`--git-dir=${base.commonDir}`, `--work-tree=${base.tree}`, ...SELF_CONTAINED_INDEX, ...argv];
  const started = performance.now();
  const { execa } = await import('execa'); // loaded when a process really runs: not at start-up
  const result = await execa('git', full, {
    cwd: base.tree,
    env: { ...scrubGitEnv(ctx.env), GIT_INDEX_FILE: base.index },
    extendEnv: false,
    // fd 3 onwards: the locks this operation holds (see Context.heldLocks); as in runGit.
    stdio: ['ignore', 'pipe', 'pipe', ...ctx.heldLocks] as unknown as Options['stdio'],
    reject: false,
    timeout: ctx.gitTimeoutMs,
    forceKillAfterDelay: 2_000,
    ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
  });
  ctx.logger.debug(`git ${argv.join(' ')} for base ${base.tree} (exit ${String(result.exitCode)}, ${(performance.now() - started).toFixed(1)} ms)`);
  if (result.exitCode === 0) return;
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const why = result.timedOut ? `timed out after ${ctx.gitTimeoutMs} ms` : result.isCanceled ? 'cancelled' : result.signal ? `killed by ${result.signal}` : '';
  throw new GitError(argv, base.tree, result.exitCode, [stderr, why].filter(Boolean).join('\n') || (result.shortMessage ?? 'no output'), { cause: result });
}
