import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Project } from '../engine/project.js';
import { readDirSafely, readTextSafely, realDirectory } from '../fs/safe-read.js';
import { LANE_NAME } from '../git/names.js';
import { laneServicesDir, serviceFile } from './paths.js';
import { isOurProcess } from '../process/proc.js';
import { runnerFor, type ServiceRunner } from './runner.js';
import { SERVICE_NAME } from './service-name.js';
import { nameNonce } from '../fs/temp-name.js';

/**
 * - starting: its process is alive, not ready yet
 * - healthy: alive and its ready check passed (last known: `ls` never probes)
 * - unhealthy: alive, but its ready check failed or timed out
 * - exited: its process is gone though nobody stopped it (exit code when known)
 * - crash-loop: `watch` restarted it too often in a short time and left it stopped
 * - stopped: `isolane stop` (or `down`) ended it
 */
export type ServiceStateName = 'starting' | 'healthy' | 'unhealthy' | 'exited' | 'crash-loop' | 'stopped';
const STATES: readonly ServiceStateName[] = ['starting', 'healthy', 'unhealthy', 'exited', 'crash-loop', 'stopped'];

/** One service of one lane, as `<common-dir>/isolane/services/<lane>/<service>.json` keeps it. */
export interface ServiceState {
  readonly version: 1;
  readonly lane: string;
  readonly service: string;
  readonly state: ServiceStateName;
  /** host: a process group of this machine; container: one inside the lane's container. */
  readonly where: 'host' | 'container';
  /** The group leader (the group's id too) and its start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  readonly pid?: number;
  readonly startTime?: string;
  readonly argv: readonly string[];
  /** The lane's leased port it listens on, and where the host reaches it. */
  readonly port?: number;
  readonly url?: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly exitCode?: number;
  /** Restarts by `watch` since the service was last started by hand. */
  readonly restarts: number;
  /** When `watch` found it exited, most recent last (bounded). */
  readonly crashes: readonly string[];
  readonly note?: string;
}

const MAX_STATE = 64 * 1024;

/** True while a process was meant to be running (the states in which it can die unasked). */
export const isRunningState = (s: ServiceStateName): boolean => s === 'starting' || s === 'healthy' || s === 'unhealthy';

/** A lane can write into the shared `.git`: a state file is input, checked before it is believed. */
function parseState(text: string, lane: string, service: string): ServiceState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Record<string, unknown>;
  const posInt = (x: unknown): boolean => x === undefined || (typeof x === 'number' && Number.isInteger(x) && x > 0);
  if (s.version !== 1 || s.lane !== lane || s.service !== service) return undefined;
  if (!STATES.includes(s.state as ServiceStateName) || (s.where !== 'host' && s.where !== 'container')) return undefined;
  if (!posInt(s.pid) || !posInt(s.port) || (s.startTime !== undefined && (typeof s.startTime !== 'string' || !/^\d{1,20}$/.test(s.startTime)))) return undefined;
  if (!Array.isArray(s.argv) || !s.argv.every((a) => typeof a === 'string')) return undefined;
  if (typeof s.startedAt !== 'string' || typeof s.updatedAt !== 'string') return undefined;
  if (s.exitCode !== undefined && typeof s.exitCode !== 'number') return undefined;
  if (s.url !== undefined && typeof s.url !== 'string') return undefined;
  if (s.note !== undefined && typeof s.note !== 'string') return undefined;
  const restarts = typeof s.restarts === 'number' && Number.isInteger(s.restarts) && s.restarts >= 0 ? s.restarts : 0;
  const crashes = Array.isArray(s.crashes) ? s.crashes.filter((c): c is string => typeof c === 'string').slice(-20) : [];
  return { ...(v as ServiceState), restarts, crashes };
}

export async function readServiceState(stateDir: string, lane: string, service: string): Promise<ServiceState | undefined> {
  const text = await readTextSafely(serviceFile(stateDir, lane, service, 'json'), { maxBytes: MAX_STATE }).catch(() => undefined);
  return text === undefined ? undefined : parseState(text, lane, service);
}

/** Atomic (temp + rename), readable by the user alone. */
export async function writeServiceState(stateDir: string, state: ServiceState): Promise<void> {
  const file = serviceFile(stateDir, state.lane, state.service, 'json');
  await realDirectory(path.dirname(file), 0o700); // never into a symlink a worktree lane planted in .git
  const temp = `${file}.${nameNonce()}.tmp`;
  try {
    await fsp.writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}

/** The names of services of `lane` that have a state file. */
export async function recordedServices(stateDir: string, lane: string): Promise<string[]> {
  const entries = await readDirSafely(laneServicesDir(stateDir, lane)).catch(() => undefined);
  return (entries ?? [])
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name.slice(0, -'.json'.length))
    .filter((n) => SERVICE_NAME.test(n))
    .sort();
}

/** Every recorded service state of a lane. */
export async function laneServiceStates(stateDir: string, lane: string): Promise<ServiceState[]> {
  if (!LANE_NAME.test(lane)) return [];
  const states = await Promise.all((await recordedServices(stateDir, lane)).map((s) => readServiceState(stateDir, lane, s)));
  return states.filter((s): s is ServiceState => s !== undefined);
}

/**
 * Names of the lane's services whose process is alive (pid and start time checked). gc keeps
 * such a lane: something is using it. A container lane's are looked at inside its container.
 */
export async function runningServices(project: Project, lane: string): Promise<string[]> {
  const states = (await laneServiceStates(project.stateDir, lane)).filter((s) => isRunningState(s.state) && s.pid !== undefined);
  const out: string[] = [];
  let runner: ServiceRunner | undefined;
  for (const s of states) {
    let alive: boolean;
    if (s.where === 'host') {
      alive = await isOurProcess(s.pid ?? 0, s.startTime ?? '0');
    } else {
      try {
        if (!runner) {
          const record = await project.journal.read(lane);
          if (!record) continue;
          project.checkRecord(record);
          runner = runnerFor(project, record, await project.strategy(record.strategy));
        }
        alive = await runner.alive(s.pid ?? 0, s.startTime ?? '0');
      } catch {
        alive = true; // could not look: in use, to be safe
      }
    }
    if (alive) out.push(s.service);
  }
  return out;
}
