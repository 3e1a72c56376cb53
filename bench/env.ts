/** What every scenario gets: a private clone of a fixture, where lanes go, and how to report. */
export interface BenchEnv {
  readonly root: string;
  readonly lanesRoot: string;
  /** Environment for git and isolane: a HOME of the bench's own, no system config. */
  readonly env: Record<string, string>;
  readonly rounds: number;
  readonly onRound?: (label: string, i: number) => void;
}
