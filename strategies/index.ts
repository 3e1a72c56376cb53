import type { StrategyFactory } from './strategy.js';

/**
 * The registry: one line per strategy. Modules load on first use, so a CLI call that never
 * touches a strategy never pays for its dependencies (dockerode, for one).
 */
export const STRATEGY_LOADERS = {
  worktree: async (): Promise<StrategyFactory> => (await import('./worktree.js')).worktreeStrategy,
  clone: async (): Promise<StrategyFactory> => (await import('./clone.js')).cloneStrategy,
  container: async (): Promise<StrategyFactory> => (await import('./container.js')).containerStrategy,
} as const satisfies Record<string, () => Promise<StrategyFactory>>;

export type StrategyName = keyof typeof STRATEGY_LOADERS;

/**
 * Strategies that are expensive to load (dockerode and its gRPC stack take ~150 ms): `ls`
 * looks for their unrecorded lanes only when a lane or the config uses them. Their lanes'
 * checkouts still sit in the lanes root, where the cheap strategies find them.
 */
export const LOADED_ON_DEMAND: ReadonlySet<string> = new Set<StrategyName>(['container']);
