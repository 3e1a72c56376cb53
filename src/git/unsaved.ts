import type { Context } from '../context.js';
import { headsRef } from './names.js';
import { laneRefNamespace, type LaneTip } from './lane-home.js';
import { resolveRevisions } from './resolve.js';
import { runGit } from './run-git.js';

export interface UnsavedCommit {
  readonly oid: string;
  readonly subject: string;
  /** The label of a lane tip it is reachable from. */
  readonly tip: string;
}

/**
 * Commits reachable from the lane's tips that no ref outside the lane holds: what removing the
 * lane (its checkout, its branch `branch` unless kept, its namespace) would lose. Every other ref
 * of the main repository holds, and so do the lane's own remote-tracking refs (what the lane
 * pushed is safe where it went). Tips travel on stdin, so no name can be read as an option.
 */
export async function unsavedCommits(
  ctx: Context,
  repoRoot: string,
  lane: string,
  tips: readonly LaneTip[],
  opts: { readonly branch: string; readonly keepBranch: boolean },
): Promise<UnsavedCommit[]> {
  const commitTips = await onlyCommits(ctx, repoRoot, tips);
  if (commitTips.length === 0) return [];
  const ns = laneRefNamespace(lane);
  const argv = [
    'log', '--format=%H%x09%S%x09%s', '--not',
    ...(opts.keepBranch ? [] : [`--exclude=${headsRef(opts.branch)}`]),
    `--exclude=${ns}/*`, '--glob=refs/*',
    `--glob=${ns}/refs/remotes/*`,
    '--not', '--stdin',
  ];
  const out = (await runGit(ctx, repoRoot, argv, { input: `${commitTips.map((t) => t.rev).join('\n')}\n` })).stdout;
  const labels = new Map(commitTips.map((t) => [t.rev, t.label]));
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [oid = '', source = '', ...subject] = line.split('\t');
      return { oid, subject: subject.join('\t'), tip: labels.get(source) ?? source };
    });
}

/** A tag may point at a tree or a blob: only tips that are (or peel to) commits can hold commits. */
async function onlyCommits(ctx: Context, repoRoot: string, tips: readonly LaneTip[]): Promise<LaneTip[]> {
  if (!tips.some((t) => t.label.startsWith('tag '))) return [...tips];
  const resolved = await resolveRevisions(ctx, repoRoot, tips.map((t) => `${t.rev}^{commit}`));
  return tips.filter((_, i) => resolved[i] !== undefined);
}
