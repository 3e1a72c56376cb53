import type { LaneResources } from './resources.js';
import type { LanePlace } from './contract.js';

/**
 * `creating` and `removing` are intents: if no process holds the lane lock, they were interrupted.
 * `setup-failed`: made whole, but a set-up step failed (`isolane setup` retries, `down` removes it).
 */
export type LaneRecordState = 'creating' | 'ready' | 'removing' | 'setup-failed';

/** isolane's record of one lane, one JSON file per lane under `<common-dir>/isolane/lanes/`. */
export interface LaneRecord {
  readonly version: 1;
  readonly lane: string;
  readonly strategy: string;
  readonly branch: string;
  /** The branch the lane merges back into. */
  readonly base: string;
  /** The commit the lane started at. */
  readonly startOid: string;
  readonly path: string;
  readonly createdAt: string;
  readonly state: LaneRecordState;
  /** The workload whose policy decision chose the strategy, and the decisive reasons. */
  readonly workload?: string;
  readonly reasons?: readonly string[];
  /** Ports, database branch and set-up the lane holds (src/resources/). */
  readonly resources?: LaneResources;
  /** Where the lane lives, as its strategy's `create` said (absent until it is made, and in records of older versions). */
  readonly place?: LanePlace;
  /**
   * Written with `removing`: what `down` decided after its checks, so that a removal interrupted
   * half-way is finished as decided, without inspecting a lane that is partly gone.
   */
  readonly removal?: {
    /** Delete the lane's branch, compare-and-swap on this commit; absent: keep it. */
    readonly deleteBranchAt?: string;
  };
}
