import type { Project } from '../src/engine/project.js';
import type { LaneRecord } from '../src/engine/journal.js';

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
}

/** A lane as it really exists, found without the journal (for reconciliation). */
export interface FoundLane {
  readonly lane: string | undefined;
  readonly path: string;
  readonly branch: string | undefined;
  /** Registered with git but its directory is gone. */
  readonly missing: boolean;
}

export interface LaneState {
  /** The lane's checkout exists. */
  readonly exists: boolean;
  /** The commit the lane's branch points at, as seen by the main repository. */
  readonly headOid: string | undefined;
  /** The commit checked out in the lane (differs from headOid after a checkout of something else). */
  readonly checkoutOid: string | undefined;
  /** Commits of the lane's other branches, for strategies whose lanes have branches of their own. */
  readonly otherTips?: readonly string[];
  /**
   * Uncommitted changes: porcelain status lines such as `?? notes.txt` or ` M src/a.ts`.
   * undefined: not listed, because the caller is about to remove the lane without --force and
   * this strategy's removal itself refuses uncommitted work (with WouldLoseWorkError).
   */
  readonly dirty: readonly string[] | undefined;
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
}

export interface ExecResult {
  readonly exitCode: number;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface InspectOptions {
  /** The lane is about to be removed without --force (see LaneState.dirty). */
  readonly beforeSafeRemoval?: boolean;
}

export interface DestroyOptions {
  /** Let the underlying tool discard uncommitted changes (the engine already decided). */
  readonly force: boolean;
  /** The lane never finished creation: remove whatever part of it exists. */
  readonly halfMade: boolean;
}

/**
 * One way of isolating a lane. A strategy touches shared git metadata only inside
 * `project.withRepoLock`, and every method is safe to call again after a crash.
 */
export interface Strategy {
  readonly name: string;
  probe(): Promise<ProbeResult>;
  create(spec: LaneSpec): Promise<void>;
  inspect(lane: LaneRecord, opts?: InspectOptions): Promise<LaneState>;
  exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /** Removes the checkout and anything else the strategy made; never the lane's branch. */
  destroy(lane: LaneRecord, opts: DestroyOptions): Promise<void>;
  list(): Promise<FoundLane[]>;
}

export type StrategyFactory = (project: Project) => Strategy;
