import { mkdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { GitError, IsolaneError, WouldLoseWorkError } from '../src/errors.js';
import { isRealDirectory, lstatOrUndefined } from '../src/fs/safe-read.js';
import type { LaneRecord } from '../src/lane/record.js';
import { readMarker, writeMarker } from '../src/lane/marker.js';
import { checkoutFiles } from '../src/git/checkout.js';
import { gitCommands } from '../src/git/commands.js';
import { headsRef, LANE_NAME } from '../src/git/names.js';
import { withGitLockRetry } from '../src/git/lock-retry.js';
import { resolveRevisions } from '../src/git/resolve.js';
import { runGit } from '../src/git/run-git.js';
import { registeredAdminDir, registeredWorktrees, worktreeAdminDir } from '../src/git/worktree-admin.js';
import { parseWorktreeList, type WorktreeEntry } from '../src/git/parse.js';
import type { LaneTip } from '../src/git/lane-home.js';
import { hostReader } from '../src/lane/host-reader.js';
import { dirtyFiles, unsavedSubmoduleCommits } from '../src/lane/inspect.js';
import { execInDir } from '../src/process/exec-in-dir.js';
import { removeTree } from '../src/process/remove-tree.js';
import { cgroupsWithhold } from './host-limits.js';
import { defineStrategy, type DestroyOptions, type ExecOptions, type FoundLane, type LaneAccess, type LaneSpec, type ListScope, type OpenHints, type Strategy, type StrategyKit } from './strategy.js';


/**
 * worktree: `git worktree add` on the shared object store. Creation registers the worktree and
 * its branch under the repository lock, then checks files out without holding it.
 */
export const worktree = defineStrategy({
  name: 'worktree',
  summary: 'a git worktree per lane on one shared object store',
  // Its schema is loaded only to validate isolane.yaml: a command without one never loads zod.
  settings: () => import('./worktree-settings.js').then((m) => m.settings),
  gives: ['resource-limits'],
  withholds: (need, _s, host) => cgroupsWithhold(need, host),
  untrustedCode: false,
  costRank: 0,
  rules: [{ when: {}, because: 'trusted local development: lanes share one object store (least disk) and one fetch serves every lane' }],
  probe: () => Promise.resolve({ available: true }),
  variant: () => 'worktree',
  bench: (b) =>
    Promise.resolve([
      {
        label: 'worktree',
        raw: {
          // The safe pair: `worktree remove` refuses a dirty tree, `branch -d` an unmerged branch.
          name: 'git worktree add -b / worktree remove + branch -d',
          create: (dir, i) => b.git(['worktree', 'add', '-q', '-b', `raw/w${i}`, dir, 'HEAD']),
          destroy: async (dir, i) => {
            await b.git(['worktree', 'remove', dir]);
            await b.git(['branch', '-q', '-d', `raw/w${i}`]);
          },
        },
      },
    ]),
  make: (kit) => worktreeLanes(kit, 'worktree', (spec) => checkoutFiles(kit.ctx, spec.path)),
});

/**
 * Lanes that are git worktrees of the main repository; `fill` gives a registered, empty worktree
 * its files (a checkout here; a copy-on-write layer for snapshot lanes). The marker in the
 * worktree's git directory names `strategy`, so each worktree strategy finds only its own lanes.
 */
export function worktreeLanes(kit: StrategyKit<unknown>, strategy: string, fill: (spec: LaneSpec, adminDir: string) => Promise<void>): Strategy {
  const { ctx, repo } = kit;
  const git = (cwd: string, argv: readonly string[], okExitCodes?: readonly number[]) =>
    runGit(ctx, cwd, argv, okExitCodes ? { okExitCodes } : {});

  // A `worktree add` under way beside us can leave an admin dir whose files git cannot read yet: read again, a few times.
  const worktrees = async (): Promise<WorktreeEntry[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return parseWorktreeList((await git(repo.root, gitCommands.worktreeList())).stdout);
      } catch (e) {
        if (attempt >= 4 || !(e instanceof GitError) || !/failed to read .*worktrees\//.test(e.stderr)) throw e;
        await ctx.sleep(50);
      }
    }
  };

  /** Removes the registration and the directory of a lane; tolerates any part being absent. */
  const unregister = async (lanePath: string): Promise<void> => {
    const entry = (await worktrees()).find((w) => w.path === lanePath);
    if (!entry) return;
    if (entry.prunable) await git(repo.root, gitCommands.worktreePrune());
    else await git(repo.root, gitCommands.worktreeRemove(lanePath, true));
  };

  /** Deletes the branch only while it still points at `oid`: a commit made meanwhile is never lost. */
  const dropBranchAt = async (branch: string, oid: string): Promise<void> => {
    const current = await git(repo.root, gitCommands.refOid(headsRef(branch)), [1]);
    if (current.stdout.trim() === oid) await git(repo.root, gitCommands.deleteRef(headsRef(branch), oid));
  };

  /** Removal that a half-gone lane cannot stop: the directory (never following a link out of it), then git's record. */
  const removeWhateverExists = async (lanePath: string): Promise<void> => {
    await withGitLockRetry(ctx, () =>
      kit.withRepoLock(async () => {
        await unregister(lanePath).catch(async (e: unknown) => {
          // git refuses a worktree whose `.git` is gone or rewritten: take the directory away, then its record.
          if (!(e instanceof GitError)) throw e;
          await removeTree(ctx, lanePath);
          await git(repo.root, gitCommands.worktreePrune());
        });
      }),
    );
    await removeTree(ctx, lanePath);
  };

  /**
   * The worktrees in the lanes root that carry isolane's marker, and the strategy it names. Proof
   * it is ours: the marker isolane left in its git directory. A worktree whose directory is gone
   * is ours when git has it on the lane's own branch and its git directory, found through git's
   * registry, is marked.
   */
  const markedWorktrees = async (): Promise<Array<{ lane: FoundLane; strategy: string }>> => {
    const found: Array<{ lane: FoundLane; strategy: string }> = [];
    // From git's registry files where that is certain (no git process on `ls`'s way), else from git.
    for (const w of (await registeredWorktrees(repo.commonDir)) ?? (await worktrees())) {
      const name = path.basename(w.path);
      if (path.dirname(w.path) !== kit.lanesRoot || !LANE_NAME.test(name)) continue;
      const branch = kit.laneBranch(name);
      const missing = w.prunable || !(await lstatOrUndefined(w.path));
      if (missing && w.branch !== headsRef(branch)) continue;
      const admin = missing ? await registeredAdminDir(repo.commonDir, w.path) : await worktreeAdminDir(repo.commonDir, w.path);
      const marker = admin && 'dir' in admin ? await readMarker(admin.dir, repo.id, name) : undefined;
      if (marker) found.push({ lane: { lane: name, path: w.path, branch, missing }, strategy: marker.strategy });
    }
    return found;
  };

  const reader = (lanePath: string, adminDir: string) => hostReader(ctx, { workTree: lanePath, gitDir: adminDir, sharesMainRefs: true });

  return {
    name: strategy,
    removalRefusesDirty: true,
    runsOnHost: true,

    async create(spec: LaneSpec) {
      mkdirSync(path.dirname(spec.path), { recursive: true }); // synchronous: fs.promises costs `up` 1-1.5 ms to load
      await withGitLockRetry(
        ctx,
        () =>
          kit.withRepoLock(async () => {
            // The branch is made first (create-only), so git never gets a branch name where an
            // option could stand: `worktree add -b` passes it on to `git branch` unprotected.
            await git(repo.root, gitCommands.createRef(headsRef(spec.branch), spec.startOid));
            await git(repo.root, gitCommands.worktreeAdd(spec.path, spec.branch));
          }),
        // Undo what a contended attempt left, so the next attempt starts clean.
        () =>
          kit.withRepoLock(async () => {
            await unregister(spec.path);
            await dropBranchAt(spec.branch, spec.startOid);
            await fsp.rm(spec.path, { recursive: true, force: true });
          }),
      );
      const admin = await worktreeAdminDir(repo.commonDir, spec.path);
      if (!('dir' in admin)) throw new IsolaneError('GIT_FAILED', `git made no worktree at ${spec.path}: ${admin.problem}`);
      await writeMarker(admin.dir, { repo: repo.id, lane: spec.lane, strategy });
      // The files touch only this worktree's index and directory, so they are made unlocked.
      await fill(spec, admin.dir);
      return { hostPath: spec.path, workdir: spec.path };
    },

    shell: (env) => ({ argv: [env.SHELL ?? '/bin/sh'] }),

    async open(lane: LaneRecord, hints?: OpenHints): Promise<LaneAccess> {
      const exists = await isRealDirectory(lane.path);
      const admin = exists ? await worktreeAdminDir(repo.commonDir, lane.path) : undefined;
      const r = admin && 'dir' in admin ? reader(lane.path, admin.dir) : undefined;
      const unchecked = admin && 'problem' in admin ? [`the lane's git directory cannot be trusted: ${admin.problem}`] : [];
      // The branch is a ref of the main repository: `ls` reads every lane's at once.
      const ref = headsRef(lane.branch);
      const branchTip = async (): Promise<string | undefined> =>
        hints?.mainRefs?.has(ref) ? hints.mainRefs.get(ref) : (await resolveRevisions(ctx, repo.root, [ref]))[0]?.oid;
      return {
        exists,
        reader: r,
        unchecked,
        branchTip,
        async bringHome(): Promise<LaneTip[]> {
          // Its commits are in the main repository already: the branch, and what only the
          // worktree itself names (its HEAD, its per-worktree refs).
          const tips: LaneTip[] = [{ label: lane.branch, rev: headsRef(lane.branch), key: headsRef(lane.branch) }];
          if (r) {
            const own = await r.refs();
            if (own.head) tips.push({ label: 'HEAD', rev: own.head, key: 'HEAD' });
            for (const [name, oid] of own.refs) tips.push({ label: name, rev: oid, key: name });
          }
          return tips;
        },
        close: () => Promise.resolve(),
      };
    },

    exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInDir(lane.path, argv, opts);
    },

    async destroy(lane: LaneRecord, opts: DestroyOptions) {
      if (opts.halfMade || opts.force) {
        await removeWhateverExists(lane.path);
        if (opts.halfMade && lane.startOid) await kit.withRepoLock(() => dropBranchAt(lane.branch, lane.startOid));
        return;
      }
      // A safe removal: git itself refuses a worktree with uncommitted files, at the moment it removes it.
      const attempt = (force: boolean) => withGitLockRetry(ctx, () => kit.withRepoLock(() => git(repo.root, gitCommands.worktreeRemove(lane.path, force))));
      try {
        await attempt(false);
      } catch (e) {
        if (!(e instanceof GitError)) throw e;
        const admin = await worktreeAdminDir(repo.commonDir, lane.path);
        const r = 'dir' in admin ? reader(lane.path, admin.dir) : undefined;
        if (/contains modified or untracked files/.test(e.stderr) && r) {
          throw new WouldLoseWorkError('WOULD_LOSE_WORK', `lane ${lane.lane} has uncommitted files`, { data: { files: await dirtyFiles(r) } });
        }
        // git removes no worktree with submodules: isolane checks them itself, then removes it.
        if (/containing submodules/.test(e.stderr) && r) {
          const [files, submoduleCommits] = await Promise.all([dirtyFiles(r), unsavedSubmoduleCommits(r)]);
          if (files.length > 0 || submoduleCommits.length > 0) {
            throw new WouldLoseWorkError('WOULD_LOSE_WORK', `lane ${lane.lane} has uncommitted files or submodule commits`, { data: { files, submoduleCommits } });
          }
          await attempt(true);
          return;
        }
        throw e;
      }
    },

    async list(scope?: ListScope): Promise<FoundLane[]> {
      // Every worktree strategy reads the same registry and markers: once per look.
      const marked = await (scope ? scope.once('worktree lanes', markedWorktrees) : markedWorktrees());
      return marked.filter((m) => m.strategy === strategy).map((m) => m.lane);
    },
  };
}
