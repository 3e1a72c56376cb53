/** What every scenario gets: a private clone of a fixture, where lanes go, and how to report. */
export interface BenchEnv {
  readonly root: string;
  /** The remote `origin` of root, when the bench made one: clone lanes (isolane's and raw) come from it. */
  readonly upstream?: string;
  readonly lanesRoot: string;
  /**
   * Where the raw tools' lanes go: beside isolane's lanes root on the same filesystem, never in
   * it (a lanes root holds only isolane's lanes).
   */
  readonly rawRoot: string;
  /** Environment for git and isolane: a HOME of the bench's own, no system config. */
  readonly env: Record<string, string>;
  readonly rounds: number;
  readonly onRound?: (label: string, i: number) => void;
}
