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

  /** Creates a ref that must not exist yet (an empty old value is git's "absent"). */
  createRef: (ref: string, oid: string) => ['update-ref', '--end-of-options', ref, oid, ''],

  /** Registers a worktree on an existing branch without checking files out (that runs unlocked). */
  worktreeAdd: (path: string, branch: string) => ['worktree', 'add', '--no-checkout', '--end-of-options', path, branch],

  /** Fills the index and working tree of a worktree made with --no-checkout. */
  checkout: () => ['checkout', '--force', '--no-recurse-submodules'],

  /**
   * Makes (or resets) `branch` at `oid`, points HEAD at it and fills the index and working tree,
   * in one process. `-B` takes the branch as its value and the start is an object id, so neither
   * can be read as an option (checkout takes no --end-of-options); `--` ends the revisions.
   */
  checkoutBranchAt: (branch: string, oid: string) => {
    if (branch.startsWith('-') || !/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(oid)) throw new TypeError(`not a branch and an object id: ${branch} ${oid}`);
    return ['checkout', '--force', '--no-recurse-submodules', '-B', branch, oid, '--'];
  },

  worktreeRemove: (path: string, force: boolean) =>
    ['worktree', 'remove', ...(force ? ['--force', '--force'] : []), '--', path],

  worktreeList: () => ['worktree', 'list', '--porcelain', '-z'],

  worktreePrune: () => ['worktree', 'prune'],

  /** Compare-and-swap delete: fails if the ref no longer points at `oid`. */
  deleteRef: (ref: string, oid: string) => ['update-ref', '-d', '--end-of-options', ref, oid],

  /** Modified, staged and untracked files (ignored files are not counted as work). */
  status: () => ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none'],

  aheadBehind: (base: string, oid: string) => ['rev-list', '--left-right', '--count', '--end-of-options', `${base}...${oid}`],
} as const;
