import path from 'node:path';
import type { Strategy } from '../../strategies/strategy.js';
import { GitError } from '../errors.js';
import { lstatOrUndefined } from '../fs/safe-read.js';
import type { GitRunner } from '../git/rebase.js';
import { runGit } from '../git/run-git.js';
import { worktreeAdminDir } from '../git/worktree-admin.js';
import { execEnv } from '../resources/env/exec-env.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';

/** A lane's own git, to change its repository (LaneReader only reads). */
export interface LaneGit {
  readonly git: GitRunner;
  /** The lane's git directory on this host: its rebase state and index are read here. */
  readonly gitDir: string;
  /** Its objects are the main repository's (worktree and snapshot lanes). */
  readonly sharesObjects: boolean;
  /** git runs on this host (else inside the lane's container). */
  readonly onHost: boolean;
}

/** Rebasing a big lane can take a while; it is still bounded. */
const LANE_WRITE_TIMEOUT_MS = 30 * 60_000;

/**
 * The git that may change a lane, run where the lane's own commands run: on the host for worktree,
 * snapshot and clone lanes, with the lane's git directory named explicitly (a `.git` file the lane
 * rewrote is never followed); inside the container for a container lane, so that nothing the lane
 * configured (hooks, fsmonitor, filters) ever runs on the host. A string says why there is none.
 */
export async function laneGit(project: Project, record: LaneRecord, strategy: Strategy): Promise<LaneGit | string> {
  const { ctx, repo } = project;
  const dotGit = path.join(record.path, '.git');
  const st = await lstatOrUndefined(dotGit);
  if (!st) return `${dotGit} is missing`;
  const host = (gitDir: string, sharesObjects: boolean): LaneGit => ({
    gitDir,
    sharesObjects,
    onHost: true,
    git: (argv, opts = {}) => runGit(ctx, record.path, [`--git-dir=${gitDir}`, `--work-tree=${record.path}`, ...argv], { timeoutMs: LANE_WRITE_TIMEOUT_MS, ...opts }),
  });
  if (st.isFile()) {
    const admin = await worktreeAdminDir(repo.commonDir, record.path);
    return 'dir' in admin ? host(admin.dir, true) : `its git directory cannot be trusted: ${admin.problem}`;
  }
  if (!st.isDirectory()) return `${dotGit} is neither a git directory nor a worktree's .git file`;
  if (strategy.runsOnHost) return host(dotGit, false);
  const env = execEnv(project, record, strategy);
  return {
    gitDir: dotGit,
    sharesObjects: false,
    onHost: false,
    async git(argv, opts = {}) {
      const r = await strategy.exec(record, ['git', ...argv], { ...env, stdio: 'pipe', ...(ctx.signal ? { signal: ctx.signal } : {}) });
      if (r.exitCode === 0 || opts.okExitCodes?.includes(r.exitCode)) return { stdout: r.stdout, exitCode: r.exitCode };
      throw new GitError(argv, `lane ${record.lane} (in its container)`, r.exitCode, r.stderr);
    },
  };
}
