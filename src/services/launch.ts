import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';
import { logSize, probeOnce, serviceUrl, waitReady, type Readiness } from './ready.js';
import type { ServiceRunner } from './runner.js';
import type { ServiceConfig } from './schema.js';
import { isRunningState, readServiceState, writeServiceState, type ServiceState } from './state.js';

/** What a launch leaves to wait for: the process, and where its output of this run begins. */
export interface Launched {
  readonly state: ServiceState;
  readonly logFrom: number;
}

/** The leased port the service names, which the lane must hold. */
export function servicePort(record: LaneRecord, name: string, config: ServiceConfig): number | undefined {
  if (config.port === undefined) return undefined;
  const port = record.resources?.ports?.[config.port];
  if (port === undefined) {
    throw new IsolaneError('CONFIG', `service ${name} listens on port ${config.port}, but lane ${record.lane} holds no port of that name (made before ports.names had it?)`, {
      hint: `make the lane again with the current isolane.yaml (\`isolane down ${record.lane}\`, then \`isolane up ${record.lane}\`)`,
    });
  }
  return port;
}

/**
 * Starts one service's process and records it as starting. The caller holds the service's lock
 * and has checked that it is not running. `previous` carries watch's restart count and crashes.
 */
export async function launch(
  project: Project,
  record: LaneRecord,
  runner: ServiceRunner,
  name: string,
  config: ServiceConfig,
  previous?: Pick<ServiceState, 'restarts' | 'crashes'>,
): Promise<Launched> {
  const port = servicePort(record, name, config);
  const logFrom = await logSize(runner.logFile(name));
  const proc = await runner.start(name, config.run, config.env);
  const now = project.ctx.now().toISOString();
  const url = serviceUrl(port, config.ready);
  const state: ServiceState = {
    version: 1,
    lane: record.lane,
    service: name,
    state: 'starting',
    where: runner.where,
    pid: proc.pid,
    startTime: proc.startTime,
    argv: [...config.run],
    ...(port !== undefined ? { port } : {}),
    ...(url ? { url } : {}),
    startedAt: now,
    updatedAt: now,
    restarts: previous?.restarts ?? 0,
    crashes: previous?.crashes ?? [],
  };
  await writeServiceState(project.stateDir, state);
  return { state, logFrom };
}

/** The state after the process is found gone: one crash more, kept to the last 20. */
export function exitedState(state: ServiceState, now: Date, note?: string): ServiceState {
  const at = now.toISOString();
  return { ...state, state: 'exited', updatedAt: at, crashes: [...state.crashes, at].slice(-20), ...(note ? { note } : {}) };
}

/**
 * Waits for the launched process to be ready and records how that ended, unless it was stopped
 * or started again meanwhile (the state no longer names this process).
 */
export async function settle(project: Project, runner: ServiceRunner, launched: Launched, config: ServiceConfig, signal?: AbortSignal): Promise<ServiceState> {
  const { state, logFrom } = launched;
  const proc = { pid: state.pid ?? 0, startTime: state.startTime ?? '0' };
  // With no check, a moment alive first: a command that fails at once is not reported healthy.
  if (!config.ready) await project.ctx.sleep(500, signal);
  const outcome: Readiness = await waitReady(runner, proc, { ready: config.ready, port: state.port, logFile: runner.logFile(state.service), logFrom }, project.ctx.sleep, signal);
  return recordOutcome(project, state, outcome);
}

/** Writes healthy, unhealthy or exited for the process `state` names, if the state file still names it. */
export async function recordOutcome(project: Project, state: ServiceState, outcome: Readiness, note?: string): Promise<ServiceState> {
  const now = project.ctx.now();
  const next: ServiceState =
    outcome === 'exited'
      ? exitedState(state, now, note ?? 'it exited before it was ready')
      : { ...state, state: outcome, updatedAt: now.toISOString(), ...(note ? { note } : outcome === 'unhealthy' ? { note: 'its ready check did not pass in time' } : {}) };
  if (outcome === 'healthy' && next.note !== undefined) delete (next as { note?: string }).note;
  const current = await readServiceState(project.stateDir, state.lane, state.service);
  const same = current && isRunningState(current.state) && current.pid === state.pid && current.startTime === state.startTime;
  const laneThere = (await project.journal.read(state.lane).catch(() => undefined)) !== undefined;
  if (!same || !laneThere) return current ?? next;
  await writeServiceState(project.stateDir, next);
  return next;
}

/** One health look at a running service (http or port checks; a log check stays as it was). */
export async function healthNow(runner: ServiceRunner, state: ServiceState, config: ServiceConfig): Promise<boolean | undefined> {
  if (!config.ready || 'log' in config.ready) return undefined;
  return probeOnce(config.ready, state.port, runner.logFile(state.service), 0);
}
