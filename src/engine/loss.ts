import type { UnsavedCommit } from '../git/unsaved.js';
import type { SubmoduleCommits } from '../lane/inspect.js';

/** What removing a lane would lose (or, with --force, did discard). */
export interface Loss {
  /** Uncommitted and untracked files, as porcelain lines. */
  readonly files: readonly string[];
  /** Commits no ref outside the lane holds, each with the lane tip it is reachable from. */
  readonly commits: readonly UnsavedCommit[];
  /** Commits of the lane's submodules that their remotes lack. */
  readonly submoduleCommits: readonly SubmoduleCommits[];
  /** What could not be checked, and why: work may hide there. */
  readonly unchecked: readonly string[];
  /** The lane's branch moved both in the lane and in the main repository. */
  readonly diverged?: boolean;
}

const SHOWN = 20;

function listed<T>(items: readonly T[], show: (t: T) => string): string[] {
  const lines = items.slice(0, SHOWN).map((t) => `    ${show(t)}`);
  if (items.length > SHOWN) lines.push(`    ... and ${items.length - SHOWN} more`);
  return lines;
}

export function describeLoss(lane: string, loss: Loss): string {
  const parts: string[] = [`refusing to remove lane ${lane}: it holds work that would be lost`];
  if (loss.files.length > 0) parts.push(`  ${loss.files.length} uncommitted file(s):`, ...listed(loss.files, (f) => f));
  if (loss.commits.length > 0) {
    parts.push(`  ${loss.commits.length} commit(s) no branch, tag or remote outside the lane holds:`, ...listed(loss.commits, (c) => `${c.oid.slice(0, 12)} ${c.subject}  (${c.tip})`));
  }
  if (loss.diverged) parts.push('  its branch moved both in the lane and in the main repository: the lane\'s side is not merged');
  for (const sub of loss.submoduleCommits) {
    parts.push(`  ${sub.commits.length} commit(s) in submodule ${sub.path} that its remotes lack:`, ...listed(sub.commits, (c) => `${c.oid.slice(0, 12)} ${c.subject}`));
  }
  if (loss.unchecked.length > 0) parts.push('  not checked, so it may hold more:', ...listed(loss.unchecked, (u) => u));
  return parts.join('\n');
}
