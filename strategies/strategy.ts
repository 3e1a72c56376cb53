import type * as z from 'zod';
import type { Context } from '../src/context.js';
import type { RepoLocation } from '../src/git/repo.js';
import type { DestroyOptions, ExecOptions, ExecResult, FoundLane, LanePlace, LaneSpec, ListScope, OpenHints, ProbeResult } from '../src/lane/contract.js';
import type { LaneRecord } from '../src/lane/record.js';
import type { LaneAccess } from '../src/lane/reader.js';

export type { DestroyOptions, ExecOptions, ExecResult, FoundLane, LaneAccess, LanePlace, LaneSpec, ListScope, OpenHints, ProbeResult };

/**
 * What a lane may need beyond a checkout of its own. The policy (src/policy/) picks only a
 * strategy that gives every need of a workload.
 */
export const NEEDS = ['process-isolation', 'network-isolation', 'resource-limits', 'own-remote', 'own-object-store'] as const;
export type Need = (typeof NEEDS)[number];

/**
 * Everything a strategy gets from isolane: a narrow kit, not the engine. A strategy touches shared
 * git metadata only inside `withRepoLock`, and keeps what it owns beside the lanes in `stateDir`.
 */
export interface StrategyKit<S> {
  readonly ctx: Context;
  /** The main repository: its root, common git dir and id. */
  readonly repo: RepoLocation;
  readonly lanesRoot: string;
  /** The directory of `lane` in the lanes root. */
  lanePath(lane: string): string;
  /** The branch of `lane`: `<branchPrefix><lane>`. */
  laneBranch(lane: string): string;
  /** This strategy's own section of isolane.yaml, validated (its plug-in's `settings`). */
  readonly settings: S;
  /** Where a setting comes from, for errors: `where(['container', 'image'])` → "container.image (isolane.yaml line 4)". */
  where(keys: readonly string[]): string;
  /** The strategy's own directory in isolane's state (`<common-dir>/isolane/strategies/<name>`); made on first use by the strategy. */
  readonly stateDir: string;
  /** Serialises changes to shared git metadata (refs, worktree registry, config) across processes. */
  withRepoLock<T>(fn: () => Promise<T>): Promise<T>;
  /** A lock of the strategy's own, across processes (`name`: letters, digits, `-`, `.`). */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** What a probe may look at: no lane, no engine state beyond the host's. */
export type ProbeKit<S> = Pick<StrategyKit<S>, 'ctx' | 'repo' | 'lanesRoot' | 'settings' | 'stateDir' | 'where'> & {
  /** The caller only reads (`policy explain`): the probe writes nothing, and says what it could not prove that way. */
  readonly look?: boolean;
};

/**
 * One way of isolating a lane, made by its plug-in for one repository. Every method is safe to
 * call again after a crash.
 */
export interface Strategy {
  readonly name: string;
  /** Its `destroy` without force itself refuses uncommitted files (WouldLoseWorkError), atomically with removing. */
  readonly removalRefusesDirty?: boolean;
  /** Where commands run in the lane see its checkout, when not at its host path (a container's mount). */
  readonly workdir?: string;
  /**
   * Commands in the lane run on this host, as the user: its git reads the user's global excludes,
   * and a symlink to the main checkout leads somewhere.
   */
  readonly runsOnHost: boolean;
  /** Makes the lane and says where it lives (kept in its record). */
  create(spec: LaneSpec): Promise<LanePlace>;
  /**
   * Read access to the lane; see LaneAccess. Only reads (a lane's lost mount may be made again: its
   * files are unchanged). `hints` carry what the caller read once for many lanes.
   */
  open(lane: LaneRecord, hints?: OpenHints): Promise<LaneAccess>;
  /** Runs argv in the lane. Never creates anything (a lane's container is made by `up` alone). */
  exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /** The interactive shell `isolane shell` runs in the lane, and extra variables for it. */
  shell(env: Readonly<Record<string, string | undefined>>, lane: string): { readonly argv: readonly string[]; readonly env?: Readonly<Record<string, string>> };
  /**
   * Removes the checkout and anything else the strategy made; never the lane's branch. Without
   * `force`, a strategy whose removal itself refuses uncommitted work throws WouldLoseWorkError.
   */
  destroy(lane: LaneRecord, opts: DestroyOptions): Promise<void>;
  /**
   * Lanes of this strategy that exist, each proven to be isolane's and this strategy's (a marker
   * naming it, its labels): no two strategies ever claim one lane. Cheap: `ls` calls it for every
   * strategy, with one `scope` for all of them.
   */
  list(scope?: ListScope): Promise<FoundLane[]>;
  /** Words for `ls` about how the lane stands, when it is not plainly ready (e.g. "unmounted"). Only looks. */
  state?(lane: LaneRecord): Promise<string | undefined>;
  /**
   * Makes the lane usable again where part of it does not outlive a reboot (a snapshot lane's
   * mount). The engine calls it, holding the lane, before any command that acts in the lane.
   */
  ready?(lane: LaneRecord): Promise<void>;
  /**
   * What this strategy made beside its lanes' directories that no lane owns any more (a container
   * of a lane without a record, a layer or base checkout whose lanes are gone), for `gc`. Each is
   * removed only when `kit.act`, and only through `kit.ifStillGone`.
   */
  sweep?(kit: SweepKit): Promise<Leftover[]>;
  /** Disk the lane's own files take (beyond what it shares), when walking its directory would say otherwise (an overlay). */
  diskRoots?(lane: LaneRecord): Promise<string[]>;
}

export interface SweepKit {
  /** Lanes with a record (in any state): nothing of theirs is a leftover. */
  readonly live: ReadonlySet<string>;
  /** False: only say what would go. */
  readonly act: boolean;
  /** Runs fn holding the lane (no isolane process at work on it) if it still has no record and no directory; false when it did not run. */
  ifStillGone(lane: string, fn: () => Promise<void>): Promise<boolean>;
}

/** A part of a lane that is gone, found (and with `act`, removed) by a strategy's sweep. */
export interface Leftover {
  /** What it is, e.g. `container isolane-x-1a2b` or `base checkout of 1a2b3c4d5e6f`. */
  readonly what: string;
  readonly lane?: string;
  readonly why: string;
  readonly bytes?: number;
  /** Set when acted on: it went, or why not. */
  readonly removed?: boolean;
  readonly error?: string;
}

/** The same job as isolane's up and down of a strategy, done with the raw tools, for `isolane bench`. */
export interface RawEquivalent {
  /** The commands, in words: "git worktree add -b / worktree remove + branch -d". */
  readonly name: string;
  create(dir: string, i: number): Promise<void>;
  destroy(dir: string, i: number): Promise<void>;
  /** Filters selecting the container of raw lane i (its writable layer counts as disk). */
  containerFilters?(i: number): Record<string, string[]>;
  /** Removes what the raw side made once for all its lanes (a network, a base checkout). */
  cleanup?(): Promise<void>;
}

/** Where the bench runs: a private copy of a repository. */
export interface BenchPlaces {
  /** The main checkout. */
  readonly root: string;
  /** Where clones come from (the copy's upstream when it has one, as isolane's clone lanes). */
  readonly source: string;
  /** Scratch space of the raw side, on the lanes' filesystem. */
  readonly scratch: string;
  readonly env: Record<string, string>;
  /** Unique to this bench run: names and labels of what the raw side makes. */
  readonly tag: string;
  /** The image container lanes run. */
  readonly image: string;
  /** An image with Node.js, for the agents' task of the throughput scenario. */
  readonly agentImage: string;
  /** Plain git, one process per command, the way a careful script calls it. */
  git(args: readonly string[], cwd?: string): Promise<void>;
}

/** One configuration of a strategy the bench measures (clone has three modes). */
export interface BenchVariant {
  /** "clone (blobless)"; the strategy's name alone for its default. */
  readonly label: string;
  /** Its section of isolane.yaml for this variant; undefined: the defaults. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly raw: RawEquivalent;
  /**
   * A lane is kept through the rounds, as when other agents' lanes share its start: later lanes
   * then cost what they cost in steady use (a snapshot lane's first lane also checks out its base).
   */
  readonly keepsOneLane?: boolean;
  /** The settings the throughput scenario's agents' lanes need (an image with Node.js), or why agents cannot run. */
  readonly agents?: { readonly settings?: Readonly<Record<string, unknown>>; readonly missing?: string };
}

/**
 * What decides whether a host strategy's lanes are capped (src/limits): cgroups usable here, and
 * caps set in isolane.yaml. Gathered by the policy, handed to `withholds`.
 */
export interface HostLimits {
  /** The cgroup probe of this host (src/limits/probe.ts). */
  readonly cgroups: ProbeResult;
  /** isolane.yaml sets `limits` or `budget`. */
  readonly configured: boolean;
}

/** When a built-in rule of a strategy applies (the same conditions as isolane.yaml's `policy[].when`). */
export interface RuleWhen {
  readonly trust?: 'trusted' | 'untrusted';
  readonly needs?: Need[];
  readonly bound?: 'cpu' | 'io';
  readonly minAgents?: number;
  readonly maxAgents?: number;
  /** The main checkout tracks at least this many files. */
  readonly minFiles?: number;
}

/**
 * A strategy as the registry (strategies/index.ts) knows it: everything about it in one value,
 * so adding a strategy is one file and one registry line.
 */
export interface StrategyPlugin<N extends string = string, S = unknown> {
  readonly name: N;
  /** One sentence for the configuration reference and `isolane policy explain`. */
  readonly summary: string;
  /**
   * Its section of isolane.yaml, under its name; merged into the one config schema. A loader, so
   * that the schema (and zod) load only when a config is validated, not for every command.
   */
  readonly settings: () => Promise<z.ZodType<S>>;
  readonly gives: readonly Need[];
  /** Lanes run untrusted code safely: nothing they write can act on the host or the main `.git`. */
  readonly untrustedCode: boolean;
  /** The policy's order when no rule decides: lower is cheaper (disk and time per lane). */
  readonly costRank: number;
  /** The policy's built-in rules that choose it, each with why in words. */
  readonly rules?: ReadonlyArray<{ readonly when: RuleWhen; readonly because: string }>;
  /** Why these settings (or this host's cgroups) keep a need it lists from being given (clone.mode reference has no object store of its own). */
  withholds?(need: Need, settings: S, host: HostLimits): string | undefined;
  /** Can it run on this host with these settings? The policy asks every strategy; `up` asks the one it uses. */
  probe(kit: ProbeKit<S>): Promise<ProbeResult>;
  /** The bench's variants of it, each beside its raw equivalent; or why it cannot be measured here. */
  bench(places: BenchPlaces): Promise<BenchVariant[] | { readonly skipped: string }>;
  /** Which bench variant these settings are (to match stored measurements); the name alone for the default. */
  variant(settings: S): string;
  /** The strategy for one repository. */
  make(kit: StrategyKit<S>): Strategy;
}

/** Keeps a plug-in's name and settings types exact (for the config's types). */
export const defineStrategy = <N extends string, S>(plugin: StrategyPlugin<N, S>): StrategyPlugin<N, S> => plugin;
