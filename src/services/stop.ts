import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';
import { readyLane } from '../engine/run.js';
import { IsolaneError } from '../errors.js';
import { assertLaneName } from '../git/names.js';
import { chooseServices, withServiceLock } from './lane-services.js';
import { runnerFor, type ServiceRunner } from './runner.js';
import { laneServiceStates, readServiceState, recordedServices, writeServiceState, type ServiceState } from './state.js';

/** How long a service gets to end on SIGTERM before its group is killed. */
const GRACE_MS = 10_000;
const KILL_WAIT_MS = 5_000;

export interface StopResult {
  readonly service: string;
  /** Its state before: what was stopped. */
  readonly was: ServiceState['state'] | 'never-started';
  /** A process group was running and is gone now. */
  readonly stopped: boolean;
  /** It did not end on SIGTERM within the grace time and was killed. */
  readonly killed: boolean;
  readonly note?: string;
}

/**
 * Ends one service: SIGTERM to its process group, up to 10 s for all of it to go, then SIGKILL;
 * recorded as stopped. Idempotent: a service not running is only recorded as stopped.
 */
export async function stopService(project: Project, runner: ServiceRunner, lane: string, service: string): Promise<StopResult> {
  return withServiceLock(project, lane, service, async () => {
    const state = await readServiceState(project.stateDir, lane, service);
    if (!state) return { service, was: 'never-started', stopped: false, killed: false };
    let stopped = false;
    let killed = false;
    let note: string | undefined;
    if (state.pid !== undefined && state.startTime !== undefined) {
      const { pid, startTime } = state;
      const left = async (): Promise<number> => runner.members(pid, startTime);
      if ((await left()) > 0) {
        stopped = true;
        await runner.signal(pid, 'SIGTERM');
        if (!(await waitGone(project, left, GRACE_MS))) {
          killed = true;
          await runner.signal(pid, 'SIGKILL');
          if (!(await waitGone(project, left, KILL_WAIT_MS))) note = `processes of group ${pid} were still there after SIGKILL`;
        }
      }
    }
    const now = project.ctx.now().toISOString();
    const { version, service: name, where, argv, startedAt, restarts, crashes } = state;
    await writeServiceState(project.stateDir, { version, lane, service: name, where, argv, startedAt, restarts, crashes, state: 'stopped', updatedAt: now, ...(note ? { note } : {}) });
    return { service, was: state.state, stopped, killed, ...(note ? { note } : {}) };
  });
}

async function waitGone(project: Project, left: () => Promise<number>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await left()) === 0) return true;
    if (Date.now() >= deadline) return false;
    await project.ctx.sleep(100);
  }
}

/** `isolane stop <lane> [service]`. */
export async function stopLaneServices(project: Project, lane: string, only?: string): Promise<StopResult[]> {
  assertLaneName(lane);
  const record = await readyLane(project, lane, true);
  project.checkRecord(record);
  const strategy = await project.strategy(record.strategy);
  const runner = runnerFor(project, record, strategy);
  // Also a service no longer in isolane.yaml that still has a state (and maybe a process).
  const names = only !== undefined ? chooseServices(project, only).map(([n]) => n) : [...new Set([...Object.keys(project.config.services), ...(await recordedServices(project.stateDir, lane))])];
  if (names.length === 0) throw new IsolaneError('USAGE', `lane ${lane} has no services`, { hint: 'declare them under services: in isolane.yaml' });
  const out: StopResult[] = [];
  for (const name of names) out.push(await stopService(project, runner, lane, name));
  return out;
}

/**
 * Stops every service of a lane that is being removed (`down`, after its checks passed); never
 * throws: returns a note per failure for the down report.
 */
export async function stopServices(project: Project, record: LaneRecord): Promise<string[]> {
  const notes: string[] = [];
  let states: ServiceState[];
  try {
    states = await laneServiceStates(project.stateDir, record.lane);
  } catch (e) {
    return [`its services could not be read: ${e instanceof Error ? e.message : String(e)}`];
  }
  const live = states.filter((s) => s.pid !== undefined);
  if (live.length === 0) return notes;
  let runner: ServiceRunner;
  try {
    runner = runnerFor(project, record, await project.strategy(record.strategy));
  } catch (e) {
    return [`its services could not be stopped: ${e instanceof Error ? e.message : String(e)}`];
  }
  for (const s of live) {
    try {
      const r = await stopService(project, runner, record.lane, s.service);
      if (r.note) notes.push(`service ${s.service}: ${r.note}`);
    } catch (e) {
      notes.push(`service ${s.service} could not be stopped: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return notes;
}
