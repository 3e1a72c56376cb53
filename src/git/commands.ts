/**
 * Pure builders of git argv. User-given refs always follow `--end-of-options` and paths follow
 * `--` (or are absolute), so neither can be read as an option.
 */

export const gitCommands = {
  version: () => ['version'],

  /** The common dir, shared by all worktrees of the repository, as an absolute path. */
  discover: () => ['rev-parse', '--path-format=absolute', '--git-common-dir'],

  currentBranch: () => ['symbolic-ref', '--quiet', '--short', 'HEAD'],

  /** Resolves names given on stdin, one per line: no name can ever be read as an option. */
  resolveBatch: () => ['cat-file', '--batch-check=%(objectname) %(objecttype)'],

  refOid: (ref: string) => ['rev-parse', '--verify', '--quiet', '--end-of-options', ref],

  /** Registers the worktree and creates the branch without checking files out (that runs unlocked). */
  worktreeAdd: (path: string, branch: string, oid: string) =>
    ['worktree', 'add', '--no-checkout', '--no-track', '-b', branch, '--end-of-options', path, oid],

  /** Fills the index and working tree of a worktree made with --no-checkout. */
  checkout: () => ['checkout', '--force', '--no-recurse-submodules'],

  worktreeRemove: (path: string, force: boolean) =>
    ['worktree', 'remove', ...(force ? ['--force', '--force'] : []), '--', path],

  worktreeList: () => ['worktree', 'list', '--porcelain', '-z'],

  worktreePrune: () => ['worktree', 'prune'],

  /** Compare-and-swap delete: fails if the ref no longer points at `oid`. */
  deleteRef: (ref: string, oid: string) => ['update-ref', '-d', '--end-of-options', ref, oid],

  /** Modified, staged and untracked files (ignored files are not counted as work). */
  status: () => ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none'],

  /**
   * Commits reachable from `tips` that no branch (but `deleting`), tag or remote-tracking branch
   * holds: exactly what removing the lane's checkout, and deleting that branch, would orphan.
   */
  orphanedCommits: (tips: readonly string[], deleting: string | undefined, lane: string) =>
    [
      'log', '--format=%H %s', '--not', ...(deleting ? [`--exclude=${deleting}`] : []), '--branches', '--tags', '--remotes',
      // what a clone lane has pushed to its own remotes is safe too
      `--glob=refs/isolane/lanes/${lane}/remotes/*`, '--not', '--end-of-options', ...tips,
    ],

  aheadBehind: (base: string, oid: string) => ['rev-list', '--left-right', '--count', '--end-of-options', `${base}...${oid}`],
} as const;
