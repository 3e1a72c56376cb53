import path from 'node:path';
import type { Context } from '../context.js';
import { lstatOrUndefined } from '../fs/safe-read.js';
import type { GitResult } from './run-git.js';
import { runGit } from './run-git.js';

/** Runs git against one repository and work tree (a lane's), wherever that git runs. */
export type GitRunner = (argv: readonly string[], opts?: { readonly okExitCodes?: readonly number[] }) => Promise<GitResult>;

/**
 * Settings for a rebase isolane runs on the user's behalf: no hooks (they could write files, and a
 * rolled-back lane must be exactly as it was), no autostash, no moving of other branches, no
 * recorded resolutions applied, and no background gc touching the shared repository meanwhile.
 */
const REBASE_CONFIG = [
  'core.hooksPath=/dev/null',
  'rebase.autoStash=false',
  'rebase.updateRefs=false',
  'rebase.autoSquash=false',
  'rerere.enabled=false',
  'gc.auto=0',
  'maintenance.auto=false',
].flatMap((setting) => ['-c', setting]);

/** Replays the checked-out branch onto `onto`; `stopped` when git stopped on a commit (conflict). */
export async function rebaseOnto(git: GitRunner, onto: string): Promise<{ readonly stopped: boolean; readonly output: string }> {
  const r = await git([...REBASE_CONFIG, 'rebase', '--quiet', '--no-autostash', '--end-of-options', onto], { okExitCodes: [1] });
  return { stopped: r.exitCode !== 0, output: r.stdout };
}

/** Gives up a rebase in progress: git restores the branch and HEAD it started from. */
export async function abortRebase(git: GitRunner): Promise<void> {
  await git([...REBASE_CONFIG, 'rebase', '--abort'], { okExitCodes: [128] });
}

/** Files left unmerged in the index (where a stopped rebase conflicted). */
export async function unmergedFiles(git: GitRunner): Promise<string[]> {
  const out = (await git(['diff', '--name-only', '--diff-filter=U', '-z'], { okExitCodes: [1, 128] })).stdout;
  return [...new Set(out.split('\0').filter(Boolean))];
}

/** A rebase is under way in the git directory `gitDir` (stopped, or its git still running). */
export async function rebaseInProgress(gitDir: string): Promise<boolean> {
  const [merge, apply] = await Promise.all([lstatOrUndefined(path.join(gitDir, 'rebase-merge')), lstatOrUndefined(path.join(gitDir, 'rebase-apply'))]);
  return merge !== undefined || apply !== undefined;
}

/**
 * What merging `tip` with `base` would conflict on, by `git merge-tree --write-tree` (git 2.38+):
 * no ref, index or file moves (only unreachable tree objects are written). A clean merge can still
 * be a rebase that stops on one of its commits, and the reverse: it is a prediction.
 */
export async function predictConflicts(ctx: Context, cwd: string, base: string, tip: string): Promise<{ readonly clean: boolean; readonly files: string[] }> {
  const r = await runGit(ctx, cwd, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', '--end-of-options', base, tip], { okExitCodes: [1] });
  const [, ...files] = r.stdout.split('\0').filter(Boolean);
  return { clean: r.exitCode === 0, files: r.exitCode === 0 ? [] : [...new Set(files)] };
}

/** `ancestor` is contained in `of`. */
export async function isAncestor(git: GitRunner, ancestor: string, of: string): Promise<boolean> {
  return (await git(['merge-base', '--is-ancestor', '--end-of-options', ancestor, of], { okExitCodes: [1] })).exitCode === 0;
}

/** Commits a rebase of `tip` onto `base` would replay: not merges, not already in `base` as patches. */
export async function commitsToReplay(git: GitRunner, base: string, tip: string): Promise<number> {
  const out = (await git(['rev-list', '--count', '--no-merges', '--cherry-pick', '--right-only', '--end-of-options', `${base}...${tip}`])).stdout;
  return Number(out.trim()) || 0;
}
