import type { Context } from '../context.js';
import { isLockContention } from './run-git.js';

const ATTEMPTS = 8;

/**
 * Runs `attempt` again only when it failed on git's own lock files (another git process, say an
 * editor's, held index.lock or a ref lock). `undo` removes what the failed attempt left first.
 * Any other failure is thrown at once.
 */
export async function withGitLockRetry<T>(ctx: Context, attempt: () => Promise<T>, undo?: () => Promise<void>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isLockContention(e) || i >= ATTEMPTS) throw e;
      ctx.logger.debug(`git lock contention, attempt ${i} of ${ATTEMPTS}: retrying`);
      await undo?.();
      // 40 ms, doubling with each attempt, jittered by ±50%.
      await ctx.sleep(20 * 2 ** i * (0.5 + Math.random()), ctx.signal);
    }
  }
}
