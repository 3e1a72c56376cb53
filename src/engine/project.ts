import path from 'node:path';
import { STRATEGIES, STRATEGY_NAMES, type StrategyEntry, type StrategyName } from '../../strategies/index.js';
import type { Strategy } from '../../strategies/strategy.js';
import { loadConfig } from '../config/load.js';
import type { IsolaneConfig } from '../config/schema.js';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { gitCommands } from '../git/commands.js';
import { locateRepo, type RepoLocation } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import { Journal, stateDirOf } from './journal.js';
import { acquireLock, tryAcquireLock, type HeldLock } from './lock.js';

/**
 * One repository as isolane sees it: where it is, its config, its state directory and locks.
 * Every engine operation starts from a Project.
 */
export class Project {
  readonly stateDir: string;
  readonly journal: Journal;
  readonly lanesRoot: string;
  readonly #strategies = new Map<string, Strategy>();

  constructor(
    readonly ctx: Context,
    readonly repo: RepoLocation,
    readonly config: IsolaneConfig,
    readonly configFile: string | undefined,
  ) {
    this.stateDir = stateDirOf(repo.commonDir);
    this.journal = Journal.of(repo.commonDir);
    this.lanesRoot = path.resolve(repo.root, config.lanes.root.replaceAll('{repo}', path.basename(repo.root)));
  }

  static async open(ctx: Context): Promise<Project> {
    const repo = await locateRepo(ctx);
    const { config, file } = await loadConfig(repo.root);
    const project = new Project(ctx, repo, config, file);
    project.#checkLanesRoot();
    return project;
  }

  #checkLanesRoot(): void {
    const rel = path.relative(this.repo.root, this.lanesRoot);
    if (rel === '' || rel === '.git' || rel.startsWith(`.git${path.sep}`)) {
      throw new IsolaneError('CONFIG', `lanes.root resolves to ${this.lanesRoot}, which is the repository or its .git`, {
        hint: 'set lanes.root in isolane.yaml to a directory outside the repository, e.g. ../{repo}.lanes',
      });
    }
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      this.ctx.logger.warn(`lanes.root ${this.lanesRoot} is inside the repository: watchers and git status there will see lane files`);
    }
  }

  lanePath(lane: string): string {
    return path.join(this.lanesRoot, lane);
  }

  /** The branch lanes merge back into: `base` from isolane.yaml, else the main checkout's branch. */
  async baseBranch(): Promise<string> {
    if (this.config.base) return this.config.base;
    const result = await runGit(this.ctx, this.repo.root, gitCommands.currentBranch(), { okExitCodes: [1] });
    const branch = result.stdout.trim();
    if (result.exitCode !== 0 || !branch) {
      throw new IsolaneError('CONFIG', `the main checkout ${this.repo.root} is on a detached HEAD, so there is no base branch`, {
        hint: 'set `base: main` (or your trunk) in isolane.yaml, or check out a branch in the main checkout',
      });
    }
    return branch;
  }

  /** Serialises changes to shared git metadata (refs, worktree registry, config) across processes. */
  async withRepoLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(path.join(this.stateDir, 'repo.lock'), `repository ${this.repo.root}`, {
      timeoutMs: this.ctx.lockTimeoutMs,
      registry: this.ctx.heldLocks,
      ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
    });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /**
   * The per-lane lock, held for the whole of `up` or `down`; undefined when another process (or
   * a git it left running) still has it after `timeoutMs`. `look: true` only probes: it never
   * creates the lock file.
   */
  async tryLaneLock(lane: string, timeoutMs = 0, look = false): Promise<HeldLock | undefined> {
    return tryAcquireLock(path.join(this.stateDir, 'lanes', `${lane}.lock`), {
      timeoutMs,
      registry: this.ctx.heldLocks,
      create: !look,
      ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
    });
  }

  async strategy(name: string): Promise<Strategy> {
    const cached = this.#strategies.get(name);
    if (cached) return cached;
    const entry = (STRATEGIES as Record<string, StrategyEntry | undefined>)[name];
    if (!entry) {
      throw new IsolaneError('USAGE', `unknown strategy ${JSON.stringify(name)}`, {
        hint: `choose one of: ${STRATEGY_NAMES.join(', ')}`,
      });
    }
    const strategy = (await entry.load())(this);
    this.#strategies.set(name, strategy);
    return strategy;
  }

  strategyNames(): StrategyName[] {
    return [...STRATEGY_NAMES];
  }
}
