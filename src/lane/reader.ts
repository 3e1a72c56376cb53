import type { GitResult } from '../git/run-git.js';
import type { LaneRefs } from '../git/lane-refs.js';

/**
 * Read-only access to a lane's repository and work tree, at the trust the lane deserves:
 * - host: git on the host, in a lane that shares the main repository's `.git` (worktree lanes);
 * - view: git on the host through a throwaway git dir of isolane's own, so nothing the lane
 *   configured runs and nothing it links is followed (clone lanes, a stopped container's lane);
 * - container: git inside the lane's running container, with a time limit.
 * The inspection in `inspect.ts` is written once against this interface.
 */
export interface LaneReader {
  /** git may recurse into submodules itself (it runs where the lane's config cannot reach the host). */
  readonly recursesSubmodules: boolean;
  /** Runs git against the lane's repository and work tree. Callers only read. */
  git(argv: readonly string[], opts?: { readonly input?: string; readonly okExitCodes?: readonly number[] }): Promise<GitResult>;
  /** Every ref, the checked-out commit and the stash entries of the lane's repository. */
  refs(): Promise<LaneRefs>;
  /** A reader for the initialized submodule at `subPath` (relative to the work tree), else undefined. */
  submodule(subPath: string): Promise<LaneReader | undefined>;
  close(): Promise<void>;
}

/** A submodule path as the lane's index lists it: relative, no `..`, no absolute part. */
export function isSafeSubPath(subPath: string): boolean {
  return subPath !== '' && !subPath.startsWith('/') && subPath.split('/').every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\0'));
}
