import type { Context } from '../context.js';
import { GitError } from '../errors.js';
import { gitCommands } from './commands.js';
import { FORCED_GIT_ENV, scrubGitEnv } from './env.js';
import { runGit } from './run-git.js';

/**
 * Checks out a worktree's files. Where someone watches (a terminal), simple-git's progress
 * plugin adds `--progress` and turns git's "Updating files: 45% (2250/5000)" into events;
 * elsewhere the plain runner is used, quiet and a little faster.
 */
export async function checkoutFiles(ctx: Context, cwd: string, argv: readonly string[] = gitCommands.checkout()): Promise<void> {
  const step = ctx.logger.step?.bind(ctx.logger);
  if (!step) {
    // Right after the subcommand: at the end it would follow `--` and be read as a path.
    await runGit(ctx, cwd, [...argv.slice(0, 1), '--quiet', ...argv.slice(1)]);
    return;
  }
  // Loaded only here, where a terminal watches: simple-git and its debug cost start-up elsewhere.
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({
    baseDir: cwd,
    allowEnvironment: FORCED_GIT_ENV,
    timeout: { block: ctx.gitTimeoutMs },
    progress: ({ stage, processed, total }) => step(stage, processed, total),
    ...(ctx.signal ? { abort: ctx.signal } : {}),
  }).env(scrubGitEnv(ctx.env));
  try {
    await git.raw([...argv]);
  } catch (cause) {
    throw new GitError(argv, cwd, undefined, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}
