import type { StrategyName } from '../strategies/index.js';

import type { PairedResult } from './paired.js';
import type { Summary } from './stats.js';

/**
 * What `isolane bench` measured, as written to JSON, kept in the repository's isolane state for
 * the policy, and drawn by the Markdown and HTML reports. Times are milliseconds, sizes bytes.
 */
export const RESULTS_VERSION = 1;

export type { StrategyName };

export interface HostFacts {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly platform: string;
  readonly kernel: string;
  /** Filesystem type of the lanes' directory (ext4, xfs, overlay, ...), and its free space. */
  readonly filesystem: string;
  readonly freeDiskBytes: number;
  readonly node: string;
  readonly git: string;
  /** Docker engine version, or undefined with the reason it could not be reached. */
  readonly docker: string | undefined;
  readonly dockerReason?: string;
}

export interface DiskMeasure {
  readonly lanes: number;
  /**
   * Filesystem blocks the lanes added, per lane, found by walking their files (each inode once;
   * objects shared with the main repository left out; a worktree's admin directory and a
   * container's writable layer in). The figure the policy decides by.
   */
  readonly fsBytesPerLane: number;
  /** What `du --apparent-size` would say for one lane's files. */
  readonly apparentBytesPerLane: number;
  /** The same measure for a lane the raw tools made (one lane), for comparison. */
  readonly rawFsBytesPerLane?: number;
  /** Cross-check: the filesystem's used blocks before and after, per lane (every process's writes count). */
  readonly statfsBytesPerLane?: number;
  /** Set when the cross-check disagrees with the walk by more than 20%: a note, not a failure. */
  readonly disagreement?: string;
}

export interface FetchMeasure {
  readonly lanes: number;
  /** New commits that landed upstream before each fetch. */
  readonly commits: number;
  /** Until every lane can see the new commits (worktree lanes share one fetch; clones fetch each). */
  readonly untilAllSee: Summary;
  /** How many `git fetch` processes that took. */
  readonly fetches: number;
}

export interface ThroughputPoint {
  readonly agents: number;
  readonly tasks: number;
  readonly failures: number;
  readonly seconds: number;
  readonly tasksPerMinute: number;
  /** Short descriptions of what failed (e.g. "agent-2: npm ci exited 1"). */
  readonly failureNotes: readonly string[];
  /**
   * Every task failed: a failed measurement, not a throughput of 0. Holds the first error. (Not
   * set for the shared-directory baseline, whose failures are what it shows.)
   */
  readonly failed?: string;
}

/** A scenario that could not be measured; the run's other scenarios still are. */
export interface ScenarioFailure {
  /** e.g. "container: create and destroy", "worktree: 2 agents at once". */
  readonly scenario: string;
  readonly strategy?: StrategyName;
  readonly error: string;
  /** A clean-up that failed after the error, kept beside it (never in its place). */
  readonly cleanupError?: string;
}

/** What the policy would choose for the default workload, deciding by this run's figures. */
export interface Conclusion {
  readonly workload: string;
  /** How many lanes of it run at once. */
  readonly agents: number;
  /** Undefined when no strategy can serve the workload here. */
  readonly strategy: StrategyName | undefined;
  /** The policy's reasons, in its words (and, when nothing serves, what cannot be met). */
  readonly reasons: readonly string[];
}

export interface StrategyMeasure {
  readonly strategy: StrategyName;
  /** The variant measured, as its plug-in names it (`variant`): "worktree", "clone (blobless)". */
  readonly label: string;
  /** isolane (a) beside the raw tools (b), interleaved in the same run. */
  readonly create: PairedResult;
  readonly destroy: PairedResult;
  readonly disk: { readonly one: DiskMeasure; readonly many: DiskMeasure };
  readonly fetch?: FetchMeasure;
  readonly throughput: readonly ThroughputPoint[];
  /** What was not measured for this strategy and why, or what to keep in mind reading it. */
  readonly notes: readonly string[];
}

export interface SharedDirPoint extends ThroughputPoint {
  /** Installs, builds or tests that failed because another agent was at work in the same directory. */
  readonly collisions: number;
  /** package-lock.json no longer parsed, or no longer matched package.json, after the run. */
  readonly corruptedLockfiles: number;
}

/**
 * One command as users run it (a Node process of the CLI) beside Node's start-up plus the raw
 * commands that do its job (bench/scenarios/cli-overhead.ts).
 */
export interface CliOverheadRow {
  /** e.g. "isolane ls, 64 lanes"; `result.b.name` says what the raw side ran. */
  readonly command: string;
  /**
   * What the goal judges: the median of the per-pair ratios of wall time, or of CPU (children's
   * and the bench's own, user and system) where isolane reads lanes in parallel and the raw
   * side one by one, so wall time would flatter it.
   */
  readonly basis: 'time' | 'cpu';
  /** a: isolane, b: the raw side; `cpu` where the host can say (Linux). */
  readonly result: PairedResult;
  /** Upper bound for the judged ratio. */
  readonly goal: number;
  /** The judged ratio (NaN when it could not be measured: then not met). */
  readonly ratio: number;
  readonly met: boolean;
  /** Lanes the command saw: CPU per lane is the CPU over this. */
  readonly lanes?: number;
}

export interface CliOverhead {
  /** Where the repository, its lanes and TMPDIR were: tmpfs, or the disk's filesystem when none could be mounted. */
  readonly filesystem: string;
  readonly tmpfs: boolean;
  readonly rows: readonly CliOverheadRow[];
  /** What was not measured and why (a strategy without its engine), and how to read the rows. */
  readonly notes: readonly string[];
}

/** Lane creation with dependencies (bench/scenarios/dependencies.ts): one share mode, or a fresh npm ci. */
export interface DependencyPoint {
  readonly mode: 'fresh' | 'copy' | 'hardlink' | 'symlink' | 'reflink' | 'auto';
  /** The whole `isolane up`: checkout, seed, set-up steps. */
  readonly up: Summary;
  /** Blocks the lane added (checkout and node_modules), inodes shared with the main checkout left out. */
  readonly fsBytesPerLane: number;
  /** The seed was there when set-up began, in every round. */
  readonly seeded: boolean;
  /** The lane's build or tests failed: no result. */
  readonly failed?: string;
  /** Why a seed was skipped, and the like, as isolane said it. */
  readonly notes: readonly string[];
}

export interface BenchResults {
  readonly version: typeof RESULTS_VERSION;
  readonly createdAt: string;
  readonly isolaneVersion: string;
  /** The repository measured: a fixture preset, or the user's repository. */
  readonly subject: { readonly kind: 'fixture'; readonly preset: string } | { readonly kind: 'repo'; readonly path: string };
  readonly quick: boolean;
  readonly rounds: number;
  readonly agents: readonly number[];
  readonly host: HostFacts;
  readonly strategies: readonly StrategyMeasure[];
  /** Strategies asked for but not measured, and why (e.g. no Docker engine). */
  readonly skipped: ReadonlyArray<{ readonly strategy: StrategyName; readonly reason: string }>;
  readonly sharedDir: readonly SharedDirPoint[];
  /** Each command through the CLI beside Node's start-up plus the raw commands; absent in results from before it existed. */
  readonly cliOverhead?: CliOverhead;
  /** Lane creation with dependencies per share mode; absent in a --quick run. */
  readonly dependencies?: readonly DependencyPoint[];
  /** Scenarios that failed (an error, or every task of a throughput point): the run is not kept for the policy. */
  readonly failures: readonly ScenarioFailure[];
  /** Set by `isolane bench` once the run is measured. */
  readonly conclusion?: Conclusion;
  readonly seconds: number;
}
