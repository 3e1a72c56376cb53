import type { Project } from '../src/engine/project.js';
import type { LaneRecord } from '../src/engine/journal.js';
import type { LaneAccess } from '../src/lane/reader.js';

export type { LaneAccess };

/** Can this strategy run here? `reason` says why not (e.g. no Docker engine at /var/run/docker.sock). */
export interface ProbeResult {
  readonly available: boolean;
  readonly reason?: string;
}

/** What the engine asks a strategy to build. Names are validated before a strategy sees them. */
export interface LaneSpec {
  readonly lane: string;
  readonly branch: string;
  /** The commit the lane starts at, already resolved. */
  readonly startOid: string;
  /** The lane's checkout on the host. */
  readonly path: string;
  /** The lane's environment (src/resources/env), for what the strategy starts (a container). */
  readonly env?: Readonly<Record<string, string>>;
  /** Leased ports a container lane publishes on 127.0.0.1 at the same number, so URLs match inside and out. */
  readonly publish?: readonly number[];
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
  /** Called once the command has started (the engine then lets go of the lane). */
  readonly onStarted?: () => void;
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

/**
 * One way of isolating a lane. A strategy touches shared git metadata only inside
 * `project.withRepoLock`, and every method is safe to call again after a crash.
 */
export interface Strategy {
  readonly name: string;
  /** Its `destroy` without force itself refuses uncommitted files (WouldLoseWorkError), atomically with removing. */
  readonly removalRefusesDirty?: boolean;
  /** Where commands run in the lane see its checkout, when not at its host path (a container's mount). */
  readonly workdir?: string;
  probe(): Promise<ProbeResult>;
  create(spec: LaneSpec): Promise<void>;
  /** Read access to the lane; see LaneAccess. */
  open(lane: LaneRecord): Promise<LaneAccess>;
  /** Runs argv in the lane. Never creates anything (a lane's container is made by `up` alone). */
  exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /**
   * Removes the checkout and anything else the strategy made; never the lane's branch. Without
   * `force`, a strategy whose removal itself refuses uncommitted work throws WouldLoseWorkError.
   */
  destroy(lane: LaneRecord, opts: DestroyOptions): Promise<void>;
  /** Lanes of this strategy that exist, each proven to be isolane's (a marker, labels). */
  list(): Promise<FoundLane[]>;
}

export type StrategyFactory = (project: Project) => Strategy;
