/**
 * What a lane holds beside its checkout, kept in its journal record. Each part is written before
 * the thing it names is made, so a lane interrupted at any point still says what to release.
 */
export interface LaneResources {
  /** Leased ports by name (isolane.yaml `ports.names`). */
  readonly ports?: Readonly<Record<string, number>>;
  /** The lane's database branch. */
  readonly database?: { readonly provider: string; readonly name: string; readonly url?: string };
  /** Set-up: how it ended, and the lockfile hash it ran for. */
  readonly setup?: { readonly ok: boolean; readonly lockfileHash?: string; readonly log?: string; readonly at: string };
}
