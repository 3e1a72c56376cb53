import type { Ended } from './spawn-git.js';

/** One read-only git call, as far as its result depends on isolane. */
export interface AheadCall {
  /**
   * What the call reads, and which incarnation of it: `ls` names the lane and when it was made,
   * so a lane removed and made again under its name (its checkout half made, say) is read anew.
   */
  readonly key: string;
  readonly cwd: string;
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly watchFifo: boolean;
}

/** What runGit asks of the git calls a command may have had started ahead (src/git/ahead.ts). */
export interface AheadCalls {
  /**
   * How the same call started ahead ends, if one was (each is taken once); `signal` stops it as
   * it would the caller's own. Notes the call for the next plan either way.
   */
  take(call: AheadCall, signal?: AbortSignal): Promise<Ended> | undefined;
  /** Stops what no call took, and keeps this command's calls as the plan for the next. */
  finish(): Promise<void>;
}

/** Where the plan of `ls` run in `cwd` is kept: one small file per directory in the user's cache. */
export interface PlanPlace {
  readonly file: string;
  readonly cwd: string;
}
