import type { ExecResult } from '../../strategies/strategy.js';
import { createContext, type Context } from '../context.js';
import { down, type DownOptions, type DownReport } from './down.js';
import type { LaneRecord } from './journal.js';
import { list, type LaneSummary } from './list.js';
import { Project } from './project.js';
import { readyLane, run, type RunOptions } from './run.js';
import { sync, type SyncOptions, type SyncReport } from './sync.js';
import { up, type UpOptions } from './up.js';
import { claimLane, releaseLane, type ClaimOptions } from './claim.js';
import { gc, type GcOptions, type GcResult } from './gc.js';
import type { Claim } from '../lane/claims.js';
import { startServices, type StartResult } from '../services/start.js';
import { stopLaneServices, type StopResult } from '../services/stop.js';

/**
 * A lane handle. `await using lane = await iso.up('x')` removes the lane at the end of the
 * scope, with the usual safety: a lane holding work is kept and the refusal is thrown.
 */
export class Lane implements AsyncDisposable {
  readonly #project: Project;

  constructor(
    readonly record: LaneRecord,
    project: Project,
  ) {
    this.#project = project;
  }

  get name(): string {
    return this.record.lane;
  }
  get path(): string {
    return this.record.path;
  }
  get branch(): string {
    return this.record.branch;
  }

  run(argv: readonly string[], opts?: RunOptions): Promise<ExecResult> {
    return run(this.#project, this.record.lane, argv, opts);
  }

  down(opts?: DownOptions): Promise<DownReport> {
    return down(this.#project, this.record.lane, opts);
  }

  /** Starts the lane's services (isolane.yaml `services:`, or one) detached; resolves once each is ready or not. */
  start(service?: string, signal?: AbortSignal): Promise<StartResult[]> {
    return startServices(this.#project, this.record.lane, service, signal);
  }

  /** Stops them: SIGTERM to each process group, SIGKILL after 10 s. */
  stop(service?: string): Promise<StopResult[]> {
    return stopLaneServices(this.#project, this.record.lane, service);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if ((await this.#project.journal.read(this.record.lane)) === undefined) return; // already removed
    await this.down();
  }
}

/** The library entry point: one repository, every lane operation. */
export class Isolane {
  private constructor(readonly project: Project) {}

  /** Opens the repository containing `cwd` (default: process.cwd()). */
  static async open(options: Partial<Context> = {}): Promise<Isolane> {
    return new Isolane(await Project.open(createContext(options)));
  }

  async up(lane: string, opts?: UpOptions): Promise<Lane> {
    return new Lane(await up(this.project, lane, opts), this.project);
  }

  async lane(lane: string): Promise<Lane> {
    return new Lane(await readyLane(this.project, lane), this.project);
  }

  down(lane: string, opts?: DownOptions): Promise<DownReport> {
    return down(this.project, lane, opts);
  }

  list(): Promise<LaneSummary[]> {
    return list(this.project);
  }

  async path(lane: string): Promise<string> {
    return (await readyLane(this.project, lane)).path;
  }

  run(lane: string, argv: readonly string[], opts?: RunOptions): Promise<ExecResult> {
    return run(this.project, lane, argv, opts);
  }

  /** Plans (and with `act: true`, carries out) the clean-up `isolane gc` does. */
  gc(opts?: GcOptions): Promise<GcResult> {
    return gc(this.project, opts);
  }

  /** Claims a lane for an agent for `ttlMs` (renewed by activity): gc leaves it meanwhile. */
  claim(lane: string, opts: ClaimOptions): Promise<Claim> {
    return claimLane(this.project, lane, opts);
  }

  release(lane: string): Promise<{ lane: string; released: boolean }> {
    return releaseLane(this.project, lane);
  }

  /** Rebases lanes onto their base's upstream, fetched once (see engine/sync.ts). */
  sync(opts: SyncOptions): Promise<SyncReport> {
    return sync(this.project, opts);
  }
}
