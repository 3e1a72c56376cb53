import { realpathSync } from 'node:fs';
import path from 'node:path';
import { pluginOf, STRATEGY_NAMES, type StrategyName } from '../../strategies/index.js';
import type { ProbeKit, Strategy, StrategyKit, StrategyPlugin } from '../../strategies/strategy.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { IsolaneConfig } from '../config/schema.js';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { gitCommands } from '../git/commands.js';
import { headBranchFromFile } from '../git/head-branch.js';
import { locateRepo, type RepoLocation } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import { Journal, stateDirOf, type LaneRecord } from './journal.js';
import { checkLanesRoot, type LanesRootFacts, type LanesRootState } from './lanes-root.js';
import { laneBranch, LANE_NAME } from '../git/names.js';
import { worktreeAdminDir } from '../git/worktree-admin.js';
import { readMarker } from '../lane/marker.js';
import { acquireLock, tryAcquireLock, type HeldLock } from '../fs/lock.js';
import { quietly } from '../fs/safe-read.js';

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
    /** Where a setting comes from, for errors (LoadedConfig.where). */
    readonly where: LoadedConfig['where'] = (keys) => `${keys.join('.')} (default)`,
  ) {
    this.stateDir = stateDirOf(repo.commonDir);
    this.journal = Journal.of(repo.commonDir);
    this.lanesRoot = path.resolve(repo.root, config.lanes.root.replaceAll('{repo}', path.basename(repo.root)));
  }

  /**
   * Opens the repository around ctx.cwd and checks its lanes root (lanes-root.ts): a lanes root
   * that is or holds the repository, a file, a symlink loop or writable by others is refused
   * before any command acts on it.
   */
  static async open(ctx: Context): Promise<Project> {
    const repo = await locateRepo(ctx);
    const { config, file, where } = await loadConfig(repo.root, ctx.env);
    const project = new Project(ctx, repo, config, file, where);
    project.lanesRootState = await checkLanesRoot(project.lanesRootFacts(), undefined, false);
    if (repo.from) project.checkEntryRoot(repo.from.lanesRoot);
    const rel = path.relative(repo.root, project.lanesRoot);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      ctx.logger.warn(`lanes.root ${project.lanesRoot} is inside the repository: watchers and git status there will see lane files`);
    }
    return project;
  }

  /** Run from inside a lanes root: it must still be the one isolane.yaml names, or the command would act on lanes elsewhere. */
  private checkEntryRoot(entered: string): void {
    const real = (p: string): string => quietly(() => realpathSync.native(p)) ?? p;
    const [a, b] = [real(entered), real(this.lanesRoot)];
    if (a === b) return;
    throw new IsolaneError('CONFIG', `${this.where(['lanes', 'root'])}: this directory is in the lanes root ${entered}, but ${this.repo.root}'s lanes are now in ${this.lanesRoot}`, {
      hint: `run isolane from ${this.repo.root}, or set lanes.root back to ${entered}`,
    });
  }

  /** What the lanes root held when the project was opened (see checkLanesRoot). */
  lanesRootState: LanesRootState = { foreign: [], marked: false };

  /** `name` in the lanes root is a lane of this repository: recorded, or marked by isolane. */
  async isOurLane(name: string): Promise<boolean> {
    if (!LANE_NAME.test(name)) return false;
    if ((await this.journal.readText(name)) !== undefined) return true;
    const dir = this.lanePath(name);
    if (await readMarker(path.join(dir, '.git'), this.repo.id, name)) return true;
    const admin = await worktreeAdminDir(this.repo.commonDir, dir);
    return 'dir' in admin && (await readMarker(admin.dir, this.repo.id, name)) !== undefined;
  }

  lanesRootFacts(): LanesRootFacts {
    return { root: this.lanesRoot, commonDir: this.repo.commonDir, repoRoot: this.repo.root, repoId: this.repo.id, where: this.where(['lanes', 'root']) };
  }

  /**
   * A record is input too (a worktree lane can write into the shared `.git`): before any
   * command acts on one, its lane, path, branch and strategy must be exactly what isolane would
   * have made for that lane in this repository.
   */
  checkRecord(record: LaneRecord): void {
    const problems: string[] = [];
    if (record.path !== this.lanePath(record.lane)) problems.push(`its path ${record.path} is not ${this.lanePath(record.lane)}`);
    if (record.branch !== laneBranch(this.config.branchPrefix, record.lane)) problems.push(`its branch ${record.branch} is not ${laneBranch(this.config.branchPrefix, record.lane)}`);
    if (!pluginOf(record.strategy)) problems.push(`its strategy ${JSON.stringify(record.strategy)} is unknown`);
    if (record.place?.hostPath !== undefined && record.place.hostPath !== record.path) problems.push(`its host path ${record.place.hostPath} is not its path ${record.path}`);
    if (record.startOid !== '' && !/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(record.startOid)) problems.push('its start commit is not an object id');
    if (problems.length > 0) {
      throw new IsolaneError('BAD_RECORD', `the record of lane ${record.lane} does not match this repository: ${problems.join('; ')}`, {
        hint: `if lanes.root or branchPrefix changed since it was made, set them back to act on it; \`isolane down ${record.lane} --force\` removes only the record`,
        data: { lane: record.lane, problems },
      });
    }
  }

  lanePath(lane: string): string {
    return path.join(this.lanesRoot, lane);
  }

  /** The branch lanes merge back into: `base` from isolane.yaml, else the main checkout's branch. */
  async baseBranch(): Promise<string> {
    if (this.config.base) return this.config.base;
    const fromFile = await headBranchFromFile(this.repo.commonDir);
    if (fromFile !== undefined) return fromFile;
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
    return this.withLock(path.join(this.stateDir, 'repo.lock'), `repository ${this.repo.root}`, fn);
  }

  /** Serialises one kind of whole-repository job (`gc`, `watch`) across processes: `<state>/<name>.lock`. */
  async withJobLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.withLock(path.join(this.stateDir, `${name}.lock`), `isolane ${name} in ${this.repo.root}`, fn);
  }

  /** Holds the exclusive lock at `file` (an OFD lock: a killed holder frees it) while `fn` runs. */
  private async withLock<T>(file: string, what: string, fn: () => Promise<T>): Promise<T> {
    if (!/^[A-Za-z0-9.-]+\.lock$/.test(path.basename(file))) throw new IsolaneError('USAGE', `not a lock name: ${path.basename(file)}`);
    // acquireLock makes the lock's directory.
    const lock = await acquireLock(file, what, {
      timeoutMs: this.ctx.lockTimeoutMs,
      registry: this.ctx.heldLocks,
      clock: this.ctx,
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
  async tryLaneLock(lane: string, timeoutMs = 0, look = false, shared = false): Promise<HeldLock | undefined> {
    return tryAcquireLock(path.join(this.stateDir, 'lanes', `${lane}.lock`), {
      timeoutMs,
      registry: this.ctx.heldLocks,
      clock: this.ctx,
      create: !look,
      shared,
      ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
    });
  }

  /** The plug-in named `name`; an unknown name is a usage error naming the known ones. */
  plugin(name: string): StrategyPlugin<StrategyName, unknown> {
    const plugin = pluginOf(name);
    if (!plugin) {
      throw new IsolaneError('USAGE', `unknown strategy ${JSON.stringify(name)}`, {
        hint: `choose one of: ${STRATEGY_NAMES.join(', ')}`,
      });
    }
    return plugin;
  }

  /** What a strategy's probe may see: its settings and this repository, nothing of the engine. */
  probeKit(name: StrategyName, look = false): ProbeKit<unknown> {
    return {
      look,
      ctx: this.ctx,
      repo: this.repo,
      lanesRoot: this.lanesRoot,
      settings: this.config[name],
      stateDir: path.join(this.stateDir, 'strategies', name),
      where: (keys) => this.where(keys),
    };
  }

  /** The strategy for this repository, made from its plug-in with the narrow kit (strategies/strategy.ts). */
  strategy(name: string): Promise<Strategy> {
    const cached = this.#strategies.get(name);
    if (cached) return Promise.resolve(cached);
    const plugin = this.plugin(name);
    const kit: StrategyKit<unknown> = {
      ...this.probeKit(plugin.name),
      lanePath: (lane) => this.lanePath(lane),
      laneBranch: (lane) => laneBranch(this.config.branchPrefix, lane),
      withRepoLock: (fn) => this.withRepoLock(fn),
      withLock: (lockName, fn) => this.withLock(path.join(kit.stateDir, `${lockName}.lock`), `${plugin.name} ${lockName}`, fn),
    };
    const strategy = plugin.make(kit);
    this.#strategies.set(name, strategy);
    return Promise.resolve(strategy);
  }

  strategyNames(): StrategyName[] {
    return [...STRATEGY_NAMES];
  }
}
