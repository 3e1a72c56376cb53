import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { GitError, WouldLoseWorkError } from '../src/errors.js';
import { pathExists } from '../src/engine/fs-util.js';
import type { LaneRecord } from '../src/engine/journal.js';
import type { Project } from '../src/engine/project.js';
import { checkoutFiles } from '../src/git/checkout.js';
import { gitCommands } from '../src/git/commands.js';
import { headsRef, LANE_NAME } from '../src/git/names.js';
import { withGitLockRetry } from '../src/git/lock-retry.js';
import { resolveRevisions } from '../src/git/resolve.js';
import { runGit } from '../src/git/run-git.js';
import { execInDir } from '../src/process/exec-in-dir.js';
import type { DestroyOptions, ExecOptions, FoundLane, InspectOptions, LaneSpec, LaneState, Strategy } from './strategy.js';
import { parseStatus, parseWorktreeList, type WorktreeEntry } from '../src/git/parse.js';

/**
 * worktree: `git worktree add` on the shared object store. Creation registers the worktree and
 * its branch under the repository lock, then checks files out without holding it.
 */
export function worktreeStrategy(project: Project): Strategy {
  const { ctx, repo } = project;
  const git = (cwd: string, argv: readonly string[], okExitCodes?: readonly number[]) =>
    runGit(ctx, cwd, argv, okExitCodes ? { okExitCodes } : {});

  const worktrees = async (): Promise<WorktreeEntry[]> => parseWorktreeList((await git(repo.root, gitCommands.worktreeList())).stdout);

  /** Removes the registration and the directory of a lane; tolerates any part being absent. */
  const unregister = async (lanePath: string, force: boolean): Promise<void> => {
    const entry = (await worktrees()).find((w) => w.path === lanePath);
    if (!entry) return;
    if (entry.prunable) await git(repo.root, gitCommands.worktreePrune());
    else await git(repo.root, gitCommands.worktreeRemove(lanePath, force));
  };

  const dirtyFiles = async (dir: string): Promise<string[]> => parseStatus((await git(dir, gitCommands.status())).stdout);

  /** Deletes the branch only while it still points at `oid`: a commit made meanwhile is never lost. */
  const dropBranchAt = async (branch: string, oid: string): Promise<void> => {
    const current = await git(repo.root, gitCommands.refOid(headsRef(branch)), [1]);
    if (current.stdout.trim() === oid) await git(repo.root, gitCommands.deleteRef(headsRef(branch), oid));
  };

  return {
    name: 'worktree',

    probe() {
      return Promise.resolve({ available: true });
    },

    async create(spec: LaneSpec) {
      await fsp.mkdir(path.dirname(spec.path), { recursive: true });
      await withGitLockRetry(
        ctx,
        () => project.withRepoLock(() => git(repo.root, gitCommands.worktreeAdd(spec.path, spec.branch, spec.startOid))),
        // Undo what a contended attempt left, so the next attempt starts clean.
        () =>
          project.withRepoLock(async () => {
            await unregister(spec.path, true);
            await dropBranchAt(spec.branch, spec.startOid);
            await fsp.rm(spec.path, { recursive: true, force: true });
          }),
      );
      // The checkout touches only this worktree's index and files, so it runs unlocked.
      await checkoutFiles(ctx, spec.path);
    },

    async inspect(lane: LaneRecord, opts: InspectOptions = {}): Promise<LaneState> {
      const exists = await fsp.stat(lane.path).then((s) => s.isDirectory(), () => false);
      if (!exists) {
        const [head] = await resolveRevisions(ctx, repo.root, [headsRef(lane.branch)]);
        return { exists, headOid: head?.oid, checkoutOid: undefined, dirty: [] };
      }
      // In the lane, HEAD is the lane's checkout; refs/heads/* are shared with the main repository.
      // Before a safe removal the status is left to `git worktree remove`, which refuses a
      // dirty worktree itself (destroy then lists the files): one full scan of the tree, not two.
      const [[head, checkout], dirty] = await Promise.all([
        resolveRevisions(ctx, lane.path, [headsRef(lane.branch), 'HEAD']),
        opts.beforeSafeRemoval ? undefined : dirtyFiles(lane.path),
      ]);
      return { exists, headOid: head?.oid, checkoutOid: checkout?.oid, dirty };
    },

    exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInDir(lane.path, argv, opts);
    },

    async destroy(lane: LaneRecord, opts: DestroyOptions) {
      const removeOrUnregister = async (): Promise<void> => {
        // The common case takes one git call; the listing is only for half-made or vanished lanes.
        const present = !opts.halfMade && (await pathExists(path.join(lane.path, '.git')));
        if (!present) return unregister(lane.path, true);
        try {
          await git(repo.root, gitCommands.worktreeRemove(lane.path, opts.force));
        } catch (e) {
          if (!opts.force && e instanceof GitError && /contains modified or untracked files/.test(e.stderr)) {
            const files = await dirtyFiles(lane.path);
            throw new WouldLoseWorkError('WOULD_LOSE_WORK', `lane ${lane.lane} has uncommitted files`, { data: { files } });
          }
          throw e;
        }
      };
      await withGitLockRetry(ctx, () => project.withRepoLock(removeOrUnregister));
      if (opts.halfMade) {
        // Only a lane that never finished creation may still hold a directory git does not know.
        await fsp.rm(lane.path, { recursive: true, force: true });
        await project.withRepoLock(() => dropBranchAt(lane.branch, lane.startOid));
      }
    },

    async list(): Promise<FoundLane[]> {
      const prefix = `refs/heads/${project.config.branchPrefix}`;
      return (await worktrees())
        .filter((w) => w.path !== repo.root && (path.dirname(w.path) === project.lanesRoot || w.branch?.startsWith(prefix)))
        .map((w) => {
          const name = path.basename(w.path);
          return {
            lane: path.dirname(w.path) === project.lanesRoot && LANE_NAME.test(name) ? name : undefined,
            path: w.path,
            branch: w.branch?.slice('refs/heads/'.length),
            missing: w.prunable,
          };
        });
    },
  };
}
