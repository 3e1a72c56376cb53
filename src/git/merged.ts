import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { runGit } from './run-git.js';

/**
 * How a lane's commits reached a base, if they did:
 * - merged: the tip is contained in the base (a merge, a fast-forward, or no commits at all);
 * - squash-merged: merging the tip into the base changes nothing (its changes are in the base's tree);
 * - rebase-merged: every commit of the tip has a patch-equivalent commit in the base (`git cherry`).
 */
export type MergedHow = 'merged' | 'squash-merged' | 'rebase-merged';

/**
 * `tip` and `base` are object ids (checked by the caller); one to three git processes. The trial
 * merge's objects go to a scratch object directory, removed after: looking writes nothing.
 */
export async function mergedInto(ctx: Context, repo: string, objectsDir: string, tip: string, base: string): Promise<MergedHow | undefined> {
  const ancestor = await runGit(ctx, repo, ['merge-base', '--is-ancestor', '--end-of-options', tip, base], { okExitCodes: [1] });
  if (ancestor.exitCode === 0) return 'merged';
  // The merge's tree equals the base's: everything the lane changed is in the base already.
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-merge-'));
  const merge = await runGit(ctx, repo, ['merge-tree', '--write-tree', '--no-messages', '--end-of-options', base, tip], {
    okExitCodes: [1],
    env: { GIT_OBJECT_DIRECTORY: scratch, GIT_ALTERNATE_OBJECT_DIRECTORIES: objectsDir },
  }).finally(() => fsp.rm(scratch, { recursive: true, force: true }));
  if (merge.exitCode === 0) {
    const tree = merge.stdout.split('\n')[0]?.trim();
    const baseTree = (await runGit(ctx, repo, ['rev-parse', '--verify', '--end-of-options', `${base}^{tree}`])).stdout.trim();
    if (tree !== undefined && tree === baseTree) return 'squash-merged';
  }
  const cherry = await runGit(ctx, repo, ['cherry', '--end-of-options', base, tip]);
  const lines = cherry.stdout.split('\n').filter((l) => l !== '');
  if (lines.length > 0 && lines.every((l) => l.startsWith('- '))) return 'rebase-merged';
  return undefined;
}

/** The branch's upstream was deleted (`[gone]`): it had been pushed, and its remote branch is no more. */
export async function upstreamGone(ctx: Context, repo: string, branchRef: string): Promise<string | undefined> {
  const r = await runGit(ctx, repo, ['for-each-ref', '--format=%(upstream)%00%(upstream:track)', '--end-of-options', branchRef]);
  const [upstream, track] = r.stdout.trim().split('\0');
  return upstream && track === '[gone]' ? upstream : undefined;
}

/** The base and, when it tracks one, its upstream: a lane merged into either is merged. */
export async function baseTips(ctx: Context, repo: string, base: string): Promise<Array<{ ref: string; oid: string }>> {
  const r = await runGit(ctx, repo, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(upstream)', '--end-of-options', `refs/heads/${base}`]);
  const [ref, oid, upstream] = r.stdout.trim().split('\0');
  const tips = ref && oid ? [{ ref, oid }] : [];
  if (upstream) {
    const u = await runGit(ctx, repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${upstream}^{commit}`], { okExitCodes: [1] });
    const uoid = u.stdout.trim();
    if (u.exitCode === 0 && uoid && uoid !== oid) tips.push({ ref: upstream, oid: uoid });
  }
  return tips;
}

/** The stash entry was made on `branch`. */
export function stashedOn(subject: string, branch: string): boolean {
  return subject.startsWith(`WIP on ${branch}: `) || subject.startsWith(`On ${branch}: `);
}
