import { promises as fsp } from 'node:fs';
import os from 'node:os';
import type { Context } from '../context.js';
import type { LaneRecord } from '../engine/journal.js';
import { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';
import { tryAcquireLock } from '../fs/lock.js';
import { readTextSafely, realDirectory } from '../fs/safe-read.js';
import { exitedState, healthNow, launch, recordOutcome, settle } from './launch.js';
import { lockService } from './lane-services.js';
import { servicesRoot, watchHolderFile, watchLockFile } from './paths.js';
import { runnerFor, type ServiceRunner } from './runner.js';
import type { ServiceConfig } from './schema.js';
import { isRunningState, laneServiceStates, writeServiceState, type ServiceState } from './state.js';

export interface WatchEvent {
  readonly at: string;
  readonly event: 'watching' | 'exited' | 'restarting' | 'healthy' | 'unhealthy' | 'crash-loop' | 'warning' | 'stopped-watching' | 'gc';
  readonly lane?: string;
  readonly service?: string;
  readonly message: string;
}

export interface WatchOptions {
  /** Supervision ends when it aborts (SIGINT, SIGTERM); the services keep running. */
  readonly signal: AbortSignal;
  readonly onEvent?: (e: WatchEvent) => void;
  /**
   * Called once per tick after the services were looked at: the hook for work on a schedule
   * (`--gc-every`: a scheduled `gc --yes`). Its failures are reported as warnings, never end the watch.
   */
  readonly onTick?: (project: Project) => Promise<void>;
  /** The first restart's delay; later ones double up to 60 times it (default 1 s; tests shorten it). */
  readonly backoffMs?: number;
}

/** How often isolane.yaml is read again. */
const RELOAD_MS = 5000;

/** Crashes within the window that make a crash loop. */
const CRASH_LIMIT = 5;

interface Memory {
  /** Restarts since the service last stayed healthy for a while: the backoff's exponent. */
  consecutive: number;
  nextAt?: number;
  healthySince?: number;
  busy?: Promise<void>;
  lastProbe?: number;
}

/**
 * `isolane watch`: supervises the services of every lane of this repository until `signal`
 * aborts. Each tick re-reads the lanes, the config and the services' states: a service whose
 * process died unasked is restarted (restart: on-failure or always) after a backoff doubling from
 * `backoffMs` to 60 times it, reset once it stayed healthy for 60 times it; one that exited 5 times
 * within 300 times it is marked crash-loop and left stopped. Only one watcher per repository.
 */
export async function watchServices(ctx: Context, opts: WatchOptions): Promise<void> {
  let project = await Project.open(ctx);
  const base = opts.backoffMs ?? 1000;
  const timing = { base, cap: 60 * base, stable: 60 * base, window: 300 * base, tick: Math.min(1000, Math.max(50, base)), probeEvery: Math.max(1000, 5 * base) };
  await realDirectory(servicesRoot(project.stateDir), 0o700);
  const lock = await tryAcquireLock(watchLockFile(project.stateDir), { timeoutMs: 0 });
  if (!lock) throw await alreadyWatched(project.stateDir);
  const emit = (e: Omit<WatchEvent, 'at'>): void => opts.onEvent?.({ at: new Date().toISOString(), ...e });
  const memory = new Map<string, Memory>();
  let opened = Date.now();
  try {
    // Temp and rename: a symlink planted in its place is replaced, never written through.
    const holder = watchHolderFile(project.stateDir);
    await fsp.rm(`${holder}.${process.pid}.tmp`, { force: true });
    await fsp.writeFile(`${holder}.${process.pid}.tmp`, `${JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() })}\n`, { mode: 0o600, flag: 'wx' });
    await fsp.rename(`${holder}.${process.pid}.tmp`, holder);
    emit({ event: 'watching', message: `watching the services of ${project.repo.root} (stop with Ctrl-C; the services keep running)` });
    while (!opts.signal.aborted) {
      // A config edited meanwhile applies within seconds; a broken one keeps the last good one.
      if (Date.now() - opened >= RELOAD_MS) {
        opened = Date.now();
        project = await Project.open(ctx).catch((e: unknown) => {
          emit({ event: 'warning', message: `isolane.yaml could not be read, using the last good one: ${e instanceof Error ? e.message : String(e)}` });
          return project;
        });
      }
      await tick(project, memory, timing, emit, opts.signal).catch((e: unknown) => emit({ event: 'warning', message: e instanceof Error ? e.message : String(e) }));
      if (opts.onTick) await opts.onTick(project).catch((e: unknown) => emit({ event: 'warning', message: `scheduled work failed: ${e instanceof Error ? e.message : String(e)}` }));
      await ctx.sleep(timing.tick, opts.signal).catch(() => undefined);
    }
    // Let restarts under way record how they ended, so no state is left half-written.
    await Promise.all([...memory.values()].flatMap((m) => (m.busy ? [m.busy] : [])));
    emit({ event: 'stopped-watching', message: 'stopped watching; the services keep running' });
  } finally {
    await fsp.rm(watchHolderFile(project.stateDir), { force: true });
    await lock.releaseAndRemove();
  }
}

async function alreadyWatched(stateDir: string): Promise<IsolaneError> {
  const text = await readTextSafely(watchHolderFile(stateDir), { maxBytes: 4096 }).catch(() => undefined);
  let who = 'another process';
  try {
    const h = JSON.parse(text ?? '') as { pid?: unknown; host?: unknown; since?: unknown };
    if (typeof h.pid === 'number') who = `process ${h.pid}${typeof h.host === 'string' ? ` on ${h.host}` : ''}${typeof h.since === 'string' ? ` (since ${h.since})` : ''}`;
  } catch {
    // no holder file yet: it is starting
  }
  return new IsolaneError('ALREADY_WATCHED', `another \`isolane watch\` already supervises this repository's services: ${who}`, {
    hint: 'one watcher per repository is enough; stop that one first to start another',
    data: { lock: watchLockFile(stateDir) },
  });
}

type Timing = { base: number; cap: number; stable: number; window: number; tick: number; probeEvery: number };

async function tick(project: Project, memory: Map<string, Memory>, t: Timing, emit: (e: Omit<WatchEvent, 'at'>) => void, signal: AbortSignal): Promise<void> {
  const { records } = await project.journal.list();
  const lanes = records.filter((r) => r.state === 'ready' || r.state === 'setup-failed');
  const seen = new Set<string>();
  for (const record of lanes) {
    let runner: ServiceRunner;
    try {
      project.checkRecord(record);
      runner = runnerFor(project, record, await project.strategy(record.strategy));
    } catch {
      continue;
    }
    for (const state of await laneServiceStates(project.stateDir, record.lane)) {
      const key = `${record.lane}/${state.service}`;
      seen.add(key);
      const config = project.config.services[state.service];
      if (!config) continue; // no longer in isolane.yaml: left as it is
      let m = memory.get(key);
      if (!m) memory.set(key, (m = { consecutive: 0 }));
      if (m.busy) continue;
      const mem = m;
      await look(project, record, runner, state, config, mem, t, emit, signal);
    }
  }
  // Lanes removed, services gone: forgotten (a restart under way finishes on its own).
  for (const key of memory.keys()) if (!seen.has(key) && !memory.get(key)?.busy) memory.delete(key);
}

async function look(
  project: Project,
  record: LaneRecord,
  runner: ServiceRunner,
  state: ServiceState,
  config: ServiceConfig,
  m: Memory,
  t: Timing,
  emit: (e: Omit<WatchEvent, 'at'>) => void,
  signal: AbortSignal,
): Promise<void> {
  const now = Date.now();
  const who = { lane: record.lane, service: state.service };
  if (isRunningState(state.state)) {
    const alive = state.pid !== undefined && (await runner.alive(state.pid, state.startTime ?? '0'));
    if (alive) {
      if (state.state === 'healthy') {
        m.healthySince ??= now;
        if (now - m.healthySince >= t.stable) m.consecutive = 0;
      } else {
        m.healthySince = undefined;
      }
      if (now - (m.lastProbe ?? 0) >= t.probeEvery) {
        m.lastProbe = now;
        const ok = await healthNow(runner, state, config);
        const want = ok === undefined ? undefined : ok ? 'healthy' : state.state === 'starting' ? undefined : 'unhealthy';
        if (want && want !== state.state) {
          await recordOutcome(project, state, want);
          emit({ event: want, ...who, message: `${who.lane}/${who.service} is ${want}` });
        }
      }
      return;
    }
    // Died unasked (SIGKILL, a crash, the OOM killer): recorded once, under its lock.
    const lock = await lockService(project, record.lane, state.service, 0);
    if (!lock) return;
    try {
      const current = (await laneServiceStates(project.stateDir, record.lane)).find((s) => s.service === state.service);
      if (!current || !isRunningState(current.state) || current.pid !== state.pid || current.startTime !== state.startTime) return; // stopped or started again meanwhile
      const exited = exitedState(current, new Date(), 'its process ended without `isolane stop`');
      await writeServiceState(project.stateDir, exited);
      m.healthySince = undefined;
      emit({ event: 'exited', ...who, message: `${who.lane}/${who.service} exited (pid ${state.pid ?? '?'})` });
      await decide(project, exited, config, m, t, emit);
    } finally {
      await lock.release();
    }
    return;
  }
  if (state.state !== 'exited' || config.restart === 'never') return;
  if (m.nextAt === undefined) {
    // Under its lock, on the state as it is now: a `start` by hand meanwhile is never overwritten.
    const lock = await lockService(project, record.lane, state.service, 0);
    if (!lock) return;
    try {
      const current = (await laneServiceStates(project.stateDir, record.lane)).find((s) => s.service === state.service);
      if (current?.state !== 'exited' || current.updatedAt !== state.updatedAt) return;
      await decide(project, current, config, m, t, emit);
    } finally {
      await lock.release();
    }
    if (m.nextAt === undefined) return;
  }
  if (now < m.nextAt) return;
  m.nextAt = undefined;
  m.busy = restart(project, record, runner, state, config, m, emit, signal).finally(() => {
    m.busy = undefined;
  });
}

/** After an exit: crash-loop, or a restart after the backoff. */
async function decide(project: Project, state: ServiceState, config: ServiceConfig, m: Memory, t: Timing, emit: (e: Omit<WatchEvent, 'at'>) => void): Promise<void> {
  if (config.restart === 'never') return;
  const recent = state.crashes.filter((c) => Date.now() - Date.parse(c) <= t.window);
  if (recent.length >= CRASH_LIMIT) {
    await writeServiceState(project.stateDir, {
      ...state,
      state: 'crash-loop',
      updatedAt: new Date().toISOString(),
      note: `exited ${recent.length} times within ${Math.round(t.window / 1000)} s; left stopped (\`isolane start ${state.lane} ${state.service}\` starts it again)`,
    });
    emit({ event: 'crash-loop', lane: state.lane, service: state.service, message: `${state.lane}/${state.service} exited ${recent.length} times in a row: crash-loop, left stopped` });
    m.nextAt = undefined;
    return;
  }
  const delay = Math.min(t.cap, t.base * 2 ** m.consecutive);
  m.nextAt = Date.now() + delay;
}

async function restart(
  project: Project,
  record: LaneRecord,
  runner: ServiceRunner,
  state: ServiceState,
  config: ServiceConfig,
  m: Memory,
  emit: (e: Omit<WatchEvent, 'at'>) => void,
  signal: AbortSignal,
): Promise<void> {
  const who = { lane: record.lane, service: state.service };
  // Held (shared) while starting, as `isolane start` does: a lane being removed is left alone.
  const hold = await project.tryLaneLock(record.lane, 0, true, true);
  if (!hold) return;
  let launched;
  try {
    const lock = await lockService(project, record.lane, state.service, 0);
    if (!lock) return;
    try {
      const current = (await laneServiceStates(project.stateDir, record.lane)).find((s) => s.service === state.service);
      // Stopped or started by hand meanwhile: not ours to restart.
      if (!current || current.state !== 'exited' || current.updatedAt !== state.updatedAt) return;
      m.consecutive += 1;
      emit({ event: 'restarting', ...who, message: `restarting ${who.lane}/${who.service} (restart ${current.restarts + 1})` });
      launched = await launch(project, record, runner, state.service, config, { restarts: current.restarts + 1, crashes: current.crashes });
    } finally {
      await lock.release();
    }
  } catch (e) {
    emit({ event: 'warning', ...who, message: `could not restart ${who.lane}/${who.service}: ${e instanceof Error ? e.message : String(e)}` });
    return;
  } finally {
    await hold.release();
  }
  const final = await settle(project, runner, launched, config, signal).catch(() => undefined);
  if (final && final.state !== 'exited') emit({ event: final.state === 'healthy' ? 'healthy' : 'unhealthy', ...who, message: `${who.lane}/${who.service} is ${final.state}` });
}
