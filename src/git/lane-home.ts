import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { headsRef } from './names.js';
import { resolveRevisions } from './resolve.js';
import { runGit } from './run-git.js';

/**
 * Where a lane's commits are kept in the main repository once brought home, out of sight of
 * `git branch`: `<ns>/refs/...` mirrors the lane's refs, `<ns>/head/HEAD` its checkout and
 * `<ns>/stash/<n>` its stash entries.
 */
export function laneRefNamespace(lane: string): string {
  return `refs/isolane/lanes/${lane}`;
}

/** Where `down --force` keeps what it discarded, so that every piece can still be recovered. */
export function discardedNamespace(lane: string): string {
  return `refs/isolane/discarded/${lane}`;
}

/** A ref or commit of a lane, with the name the user knows it by. */
export interface LaneTip {
  /** e.g. `isolane/fix`, `tag v1`, `stash@{1}`, `HEAD`. */
  readonly label: string;
  /** A ref name or object id the main repository resolves. */
  readonly rev: string;
  /** A ref-safe name for it under a namespace (`refs/heads/x`, `stash/1`, `HEAD`). */
  readonly key: string;
}

/** The lane's refs as they sit in the main repository after a fetch to `laneRefNamespace`. */
export function mirroredTips(lane: string, refs: ReadonlyMap<string, string>, head: string | undefined, stash: readonly string[]): LaneTip[] {
  const ns = laneRefNamespace(lane);
  const tips: LaneTip[] = [...refs.keys()].map((name) => ({ label: refLabel(name), rev: `${ns}/${name}`, key: name }));
  if (head) tips.push({ label: 'HEAD', rev: `${ns}/head/HEAD`, key: 'HEAD' });
  stash.forEach((_, i) => tips.push({ label: `stash@{${i}}`, rev: `${ns}/stash/${i}`, key: `stash/${i}` }));
  return tips;
}

/** `refs/heads/x` -> `x`, `refs/tags/v1` -> `tag v1`, others as they are. */
export function refLabel(name: string): string {
  if (name.startsWith('refs/heads/')) return name.slice('refs/heads/'.length);
  if (name.startsWith('refs/tags/')) return `tag ${name.slice('refs/tags/'.length)}`;
  if (name === 'refs/stash') return 'stash@{0}';
  return name;
}

/** Refspecs that copy a source's `<from>/*` refs, HEAD and stash entries into the lane's namespace. */
export function mirrorRefspecs(lane: string, from: { refs: string; head: string | undefined; stash: readonly string[] }): string[] {
  const ns = laneRefNamespace(lane);
  return [`+${from.refs}/*:${ns}/refs/*`, ...(from.head ? [`+${from.head}:${ns}/head/HEAD`] : []), ...from.stash.map((src, i) => `+${src}:${ns}/stash/${i}`)];
}

/** Deletes everything under the lane's namespace (call with the repository lock held). */
export async function dropLaneRefs(ctx: Context, repoRoot: string, lane: string): Promise<void> {
  const out = (await runGit(ctx, repoRoot, ['for-each-ref', '--format=%(refname)', `${laneRefNamespace(lane)}/`])).stdout;
  const refs = out.split('\n').filter(Boolean);
  if (refs.length > 0) await runGit(ctx, repoRoot, ['update-ref', '--stdin'], { input: refs.map((r) => `delete ${r}\n`).join('') });
}

export type BranchMove =
  | { readonly kind: 'unchanged' | 'lane-behind' | 'no-lane-branch' }
  | { readonly kind: 'created' | 'fast-forwarded'; readonly to: string }
  | { readonly kind: 'diverged'; readonly main: string; readonly lane: string };

/**
 * Moves the main repository's lane branch to the lane's, only forward: created when missing,
 * fast-forwarded when the lane is ahead, left alone when the main repository is ahead (a
 * reviewer's fix-up), and never moved when both moved (`diverged`). Call under the repository lock.
 */
export async function fastForwardBranch(ctx: Context, repoRoot: string, branch: string, laneRev: string): Promise<BranchMove> {
  const ref = headsRef(branch);
  const [main, lane] = await resolveRevisions(ctx, repoRoot, [ref, `${laneRev}^{commit}`]);
  if (!lane) return { kind: 'no-lane-branch' };
  if (!main) {
    await runGit(ctx, repoRoot, ['update-ref', '--end-of-options', ref, lane.oid, '0'.repeat(lane.oid.length)]);
    return { kind: 'created', to: lane.oid };
  }
  if (main.oid === lane.oid) return { kind: 'unchanged' };
  const isAncestor = async (a: string, b: string): Promise<boolean> =>
    (await runGit(ctx, repoRoot, ['merge-base', '--is-ancestor', '--end-of-options', a, b], { okExitCodes: [1] })).exitCode === 0;
  if (await isAncestor(main.oid, lane.oid)) {
    // Compare-and-swap: a commit landing on the branch meanwhile makes this fail, not vanish.
    await runGit(ctx, repoRoot, ['update-ref', '--end-of-options', ref, lane.oid, main.oid]);
    return { kind: 'fast-forwarded', to: lane.oid };
  }
  if (await isAncestor(lane.oid, main.oid)) return { kind: 'lane-behind' };
  return { kind: 'diverged', main: main.oid, lane: lane.oid };
}

export function divergedError(lane: string, branch: string, move: { main: string; lane: string }): IsolaneError {
  return new IsolaneError('LANE_DIVERGED', `branch ${branch} moved both in lane ${lane} (now ${move.lane.slice(0, 12)}) and in the main repository (now ${move.main.slice(0, 12)}); it was left as it is`, {
    hint: `the lane's commits are in ${laneRefNamespace(lane)}/refs/heads/${branch}: merge or rebase them (\`git merge ${laneRefNamespace(lane)}/refs/heads/${branch}\` on ${branch}), then fetch again`,
    data: { lane, branch, main: move.main, laneTip: move.lane },
  });
}
