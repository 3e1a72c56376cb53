import type { Confinement } from '../process/confined-argv.js';

/**
 * What the engine and a strategy hand each other. These types sit at the bottom layer: git, Docker
 * and process helpers use them too, and none of those may depend on a strategy or the engine.
 */

/** Can a strategy run here? `reason` says why not and what to do (e.g. "no Docker engine at /var/run/docker.sock"). */
export interface ProbeResult {
  readonly available: boolean;
  readonly reason?: string;
  /** What the strategy found it would use (e.g. "kernel overlayfs"); shown by `isolane policy explain`. */
  readonly detail?: string;
}

/** What the engine asks a strategy to build. Names are validated before a strategy sees them. */
export interface LaneSpec {
  readonly lane: string;
  readonly branch: string;
  /** The commit the lane starts at, already resolved. */
  readonly startOid: string;
  /** The lane's directory in the lanes root. */
  readonly path: string;
  /** The lane's environment (src/resources/env), for what the strategy starts (a container). */
  readonly env?: Readonly<Record<string, string>>;
  /** Leased ports a container lane publishes on 127.0.0.1 at the same number, so URLs match inside and out. */
  readonly publish?: readonly number[];
}

/**
 * Where a lane lives, as its strategy made it; kept in the lane record. Only lanes whose files are
 * on this host have a host path (a lane on a remote engine would have none).
 */
export interface LanePlace {
  /** The lane's checkout on this host. */
  readonly hostPath?: string;
  /** Where commands run in the lane see its checkout: the host path, or a path inside its container. */
  readonly workdir: string;
  /** Its files are a mount at the host path, which does not outlive a reboot: commands that act in it make it again (Strategy.ready). */
  readonly mounted?: boolean;
  /** Facts of the strategy's own, in words and ids (a container's name, a snapshot's backend and base). */
  readonly detail?: Readonly<Record<string, string>>;
}

/** A lane as it really exists, found without the journal (for reconciliation). */
export interface FoundLane {
  readonly lane: string | undefined;
  readonly path: string;
  /** Always `<branchPrefix><lane>`: a lane never chooses which branch is its own. */
  readonly branch: string | undefined;
  /** Registered with git but its directory is gone. */
  readonly missing: boolean;
}

/**
 * One look at every lane (`ls`, `gc`): each strategy's `list` gets the same scope, so what several
 * strategies read alike (git's worktree registry) is read once. A new look gets a new scope.
 */
export interface ListScope {
  /** The result of `fn`, run at most once in this scope for `key`. */
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** What the caller read once for many lanes (`ls`), so opening each one need not read it again. */
export interface OpenHints {
  /**
   * Refs of the main repository (`refs/heads/...`) and the commits they named when read: a ref
   * mapped to undefined did not exist; a ref not in the map was not read.
   */
  readonly mainRefs?: ReadonlyMap<string, string | undefined>;
}

export interface ExecOptions {
  /** The caller's environment plus `laneEnv`: what a command on the host sees. */
  readonly env: Readonly<Record<string, string>>;
  /** Only the lane's own variables (ISOLANE_* and the caller's extras): what a container sees. */
  readonly laneEnv: Readonly<Record<string, string>>;
  /** Inherit the caller's terminal (CLI) or capture output (library, tests). */
  readonly stdio: 'inherit' | 'pipe';
  /** Attach stdin and a terminal (for `isolane shell`). */
  readonly interactive?: boolean;
  readonly signal?: AbortSignal;
  /** Called once the command has started, with its host pid when it runs on the host (the engine then lets go of the lane). */
  readonly onStarted?: (pid?: number) => void;
  /** The lane's cgroups (src/limits): a host strategy starts the command inside them; a container has limits of its own and ignores this. */
  readonly confine?: Confinement;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DestroyOptions {
  /** Let the underlying tool discard uncommitted changes (the engine already decided). */
  readonly force: boolean;
  /** The lane never finished creation, or its removal was interrupted: remove whatever part exists. */
  readonly halfMade: boolean;
}
