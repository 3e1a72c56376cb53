import path from 'node:path';
import type { Context } from '../context.js';
import { lstatOrUndefined, readTextSafely } from '../fs/safe-read.js';
import { OID, type LaneRefs } from '../git/lane-refs.js';
import { runGit } from '../git/run-git.js';
import { LANE_GIT_TIMEOUT_MS } from './view-reader.js';
import { isSafeSubPath, submoduleHints, type LaneReader } from './reader.js';

/** Refs a worktree keeps for itself (everything else under refs/ is the main repository's). */
const PER_WORKTREE_REFS = ['refs/worktree/', 'refs/bisect/', 'refs/rewritten/'];

/**
 * git on the host, for a lane that shares the main repository's `.git` (a worktree lane): the
 * lane can already change that `.git`, so its git runs as the main checkout's does. `gitDir`
 * names the lane's own git directory explicitly, so a `.git` file the lane rewrote is never
 * followed to another repository.
 */
export function hostReader(ctx: Context, where: { readonly workTree: string; readonly gitDir?: string; readonly sharesMainRefs?: boolean }): LaneReader {
  const prefix = where.gitDir ? [`--git-dir=${where.gitDir}`, `--work-tree=${where.workTree}`] : [];
  const git: LaneReader['git'] = (argv, opts = {}) =>
    runGit(ctx, where.workTree, [...prefix, ...argv], { timeoutMs: Math.min(ctx.gitTimeoutMs, LANE_GIT_TIMEOUT_MS), watchFifo: true, ...opts });
  return {
    recursesSubmodules: true,
    sharesMainRefs: where.sharesMainRefs === true,
    git,
    async refs(): Promise<LaneRefs> {
      // What only this worktree names: a detached HEAD, and refs kept in its own git dir (bisect,
      // rewritten, refs/worktree). Read as files in the common case, without a git process.
      const own = where.gitDir ? await fileRefs(where.gitDir) : undefined;
      if (own && !own.hasOwnRefs) return { head: own.detached, refs: new Map(), stash: [], unreadable: [] };
      const [list, head] = await Promise.all([
        git(['for-each-ref', '--format=%(objectname) %(refname)', ...PER_WORKTREE_REFS]),
        git(['rev-parse', '--verify', '--quiet', 'HEAD'], { okExitCodes: [1, 128] }),
      ]);
      const refs = new Map<string, string>();
      for (const line of list.stdout.split('\n').filter(Boolean)) refs.set(line.slice(line.indexOf(' ') + 1), line.slice(0, line.indexOf(' ')));
      const oid = head.stdout.trim();
      return { head: OID.test(oid) ? oid : undefined, refs, stash: [], unreadable: [] };
    },
    async submodule(subPath) {
      if (!isSafeSubPath(subPath)) return undefined;
      const workTree = path.join(where.workTree, subPath);
      if (!(await lstatOrUndefined(path.join(workTree, '.git')))) return undefined;
      return submoduleHostReader(ctx, workTree);
    },
    mayHaveSubmodules: () => submoduleHints(where.workTree, where.gitDir ?? path.join(where.workTree, '.git')),
    close: () => Promise.resolve(),
  };
}

/** A submodule of a host lane: its own refs are all its own (its stash too). */
function submoduleHostReader(ctx: Context, workTree: string): LaneReader {
  const inner = hostReader(ctx, { workTree });
  return {
    ...inner,
    sharesMainRefs: false,
    async refs(): Promise<LaneRefs> {
      const [all, head, stash] = await Promise.all([
        inner.git(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/']),
        inner.git(['rev-parse', '--verify', '--quiet', 'HEAD'], { okExitCodes: [1, 128] }),
        inner.git(['log', '--walk-reflogs', '--format=%H', 'refs/stash', '--'], { okExitCodes: [128] }),
      ]);
      const refs = new Map<string, string>();
      for (const line of all.stdout.split('\n').filter(Boolean)) refs.set(line.slice(line.indexOf(' ') + 1), line.slice(0, line.indexOf(' ')));
      const oid = head.stdout.trim();
      return { head: OID.test(oid) ? oid : undefined, refs, stash: stash.stdout.split('\n').filter((l) => OID.test(l)), unreadable: [] };
    },
  };
}

/**
 * A worktree's HEAD when detached (a HEAD on a branch adds nothing: the branch is a ref of the
 * main repository), and whether its git dir keeps refs of its own.
 */
async function fileRefs(gitDir: string): Promise<{ detached: string | undefined; hasOwnRefs: boolean }> {
  const head = (await readTextSafely(path.join(gitDir, 'HEAD'), { maxBytes: 4096 }))?.trim() ?? '';
  return { detached: OID.test(head) ? head : undefined, hasOwnRefs: (await lstatOrUndefined(path.join(gitDir, 'refs'))) !== undefined };
}
