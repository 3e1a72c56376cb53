import type { StrategyFactory } from './strategy.js';

/**
 * What a lane needs beyond a checkout of its own. The policy (src/policy/) picks only a strategy
 * whose registry line gives every need of a workload.
 */
export const NEEDS = ['process-isolation', 'network-isolation', 'resource-limits', 'own-remote', 'own-object-store'] as const;
export type Need = (typeof NEEDS)[number];

export interface StrategyEntry {
  /** Loads the strategy's module on first use. */
  readonly load: () => Promise<StrategyFactory>;
  readonly gives: readonly Need[];
  /** Lanes run untrusted code safely: nothing they write can act on the host or the main `.git`. */
  readonly untrustedCode: boolean;
}

/**
 * The registry: one line per strategy. Modules load on first use, so a CLI call that never
 * touches a strategy never pays for its dependencies (dockerode, for one).
 */
export const STRATEGIES = {
  worktree: { load: async () => (await import('./worktree.js')).worktreeStrategy, gives: [], untrustedCode: false },
  clone: { load: async () => (await import('./clone.js')).cloneStrategy, gives: ['own-remote', 'own-object-store'], untrustedCode: false },
  container: { load: async () => (await import('./container.js')).containerStrategy, gives: ['process-isolation', 'network-isolation', 'resource-limits', 'own-remote'], untrustedCode: true },
} as const satisfies Record<string, StrategyEntry>;

export type StrategyName = keyof typeof STRATEGIES;

export const STRATEGY_NAMES = Object.keys(STRATEGIES) as [StrategyName, ...StrategyName[]];

/**
 * Strategies that are expensive to load (dockerode and its gRPC stack take ~150 ms): `ls`
 * looks for their unrecorded lanes only when a lane or the config uses them. Their lanes'
 * checkouts still sit in the lanes root, where the cheap strategies find them.
 */
export const LOADED_ON_DEMAND: ReadonlySet<string> = new Set<StrategyName>(['container']);
