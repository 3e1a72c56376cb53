import type { StrategyPlugin } from './strategy.js';
import { clone } from './clone.js';
import { container } from './container.js';
import { snapshot } from './snapshot.js';
import { worktree } from './worktree.js';

/**
 * The registry: one line per strategy. Everything else about a strategy (its settings, what it
 * gives, its cost, its probe, its bench, its lanes) is in its plug-in, in its own file.
 */
export const STRATEGIES = [
  worktree,
  clone,
  container,
  snapshot,
] as const;

export type StrategyName = (typeof STRATEGIES)[number]['name'];
export const STRATEGY_NAMES = STRATEGIES.map((p) => p.name) as [StrategyName, ...StrategyName[]];

/** Each strategy's validated section of isolane.yaml, by name. */
export type StrategySettings = { [P in (typeof STRATEGIES)[number] as P['name']]: P extends StrategyPlugin<string, infer S> ? S : never };

/**
 * Every plug-in, cheapest first (by cost rank), typed for callers that hand each its own
 * settings: a plug-in's settings always come from its own schema.
 */
export function plugins(): ReadonlyArray<StrategyPlugin<StrategyName, unknown>> {
  return [...(STRATEGIES as unknown as ReadonlyArray<StrategyPlugin<StrategyName, unknown>>)].sort((a, b) => a.costRank - b.costRank);
}

/** The plug-in named `name`, if there is one. */
export function pluginOf(name: string): StrategyPlugin<StrategyName, unknown> | undefined {
  return plugins().find((p) => p.name === name);
}
