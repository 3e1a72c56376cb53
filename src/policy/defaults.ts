import { plugins } from '../../strategies/index.js';
import type { PolicyRule } from '../config/schema.js';

/**
 * The built-in rules: each strategy's own (its plug-in's `rules`), cheapest strategy first. A
 * later match wins, so a dearer strategy's specific need overrides the everyday default; project
 * rules in isolane.yaml come after these.
 */
export function builtInRules(): ReadonlyArray<PolicyRule & { readonly because: string }> {
  return plugins().flatMap((p) => (p.rules ?? []).map((r) => ({ when: r.when, strategy: p.name, because: r.because })));
}
