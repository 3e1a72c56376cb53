import type { Context } from '../../context.js';
import { runGit } from '../../git/run-git.js';

/**
 * The files git ignores in the main checkout (never tracked ones, never untracked ones that are
 * not ignored), as paths relative to its root. git does not descend through symlinks or into
 * nested repositories, so nothing here lies outside the checkout.
 */
export async function ignoredFiles(ctx: Context, repoRoot: string): Promise<string[]> {
  const { stdout } = await runGit(ctx, repoRoot, ['ls-files', '--others', '--ignored', '--exclude-standard', '-z']);
  return stdout.split('\0').filter(Boolean);
}
