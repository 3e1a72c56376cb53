import path from 'node:path';
import { lstatOrUndefined } from '../fs/safe-read.js';
import type { GitOptions, GitResult } from '../git/run-git.js';
import type { LaneRefs } from '../git/lane-refs.js';
import type { LaneTip } from '../git/lane-home.js';
import type { PublishedPort } from '../docker/ports.js';

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
  /** Its branches are the main repository's (a worktree of it): `refs/heads/<base>` read there is the base itself. */
  readonly sharesMainRefs?: boolean;
  /**
   * Runs git against the lane's repository and work tree. Callers only read. A reader whose git
   * command differs from one process to the next (a view's) drops `aheadKey`.
   */
  git(argv: readonly string[], opts?: Pick<GitOptions, 'input' | 'okExitCodes' | 'aheadKey'>): Promise<GitResult>;
  /** Every ref, the checked-out commit and the stash entries of the lane's repository. */
  refs(): Promise<LaneRefs>;
  /** A reader for the initialized submodule at `subPath` (relative to the work tree), else undefined. */
  submodule(subPath: string): Promise<LaneReader | undefined>;
  /**
   * The lane may have submodules: a `.gitmodules` in its work tree or a `modules` directory in its
   * git dir (a repository embedded without either is seen by status only). False spares listing
   * the whole index.
   */
  mayHaveSubmodules(): Promise<boolean>;
  close(): Promise<void>;
}

/** The cheap look behind LaneReader.mayHaveSubmodules (lstat only, nothing followed). */
export async function submoduleHints(workTree: string, gitDir: string | undefined): Promise<boolean> {
  const there = async (p: string): Promise<boolean> => (await lstatOrUndefined(p)) !== undefined;
  return (await there(path.join(workTree, '.gitmodules'))) || (gitDir !== undefined && (await there(path.join(gitDir, 'modules'))));
}

/** A submodule path as the lane's index lists it: relative, no `..`, no absolute part. */
export function isSafeSubPath(subPath: string): boolean {
  return subPath !== '' && !subPath.startsWith('/') && subPath.split('/').every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\0'));
}

/**
 * Read access to one lane, opened by its strategy at the trust the lane deserves. Opening never
 * changes the lane, its container or the main repository.
 */
export interface LaneAccess {
  /** The lane's checkout exists. */
  readonly exists: boolean;
  /** Reads the lane; undefined when nothing of it can be read (the reasons are in `unchecked`). */
  readonly reader: LaneReader | undefined;
  /** What could not be checked, in words (a stopped engine, a tampered `.git` ...). */
  readonly unchecked: readonly string[];
  /** Words for `ls` about how the lane stands (e.g. "container stopped"). */
  readonly note?: string;
  /** A part of the lane is gone (its container removed by hand): it cannot be used as it is; gc removes it when it holds no work. */
  readonly broken?: string;
  /** Ports its running container publishes on the host (container lanes). */
  readonly ports?: readonly PublishedPort[];
  /** The commit the lane's own branch points at, as the lane sees it. */
  branchTip(): Promise<string | undefined>;
  /**
   * Copies every commit the lane holds into the main repository under its namespace
   * (src/git/lane-home.ts) and returns the lane's tips there. Call with the repository lock held.
   * A worktree lane's commits are home already: it only lists its tips.
   */
  bringHome(): Promise<LaneTip[]>;
  close(): Promise<void>;
}
