import type { Project } from '../engine/project.js';
import { readyLane } from '../engine/run.js';
import { IsolaneError } from '../errors.js';
import { assertLaneName } from '../git/names.js';
import { launch, settle, type Launched } from './launch.js';
import { chooseServices, withServiceLock } from './lane-services.js';
import { runnerFor, type ServiceRunner } from './runner.js';
import type { ServiceConfig } from './schema.js';
import { isRunningState, readServiceState, type ServiceState } from './state.js';

export interface StartResult {
  readonly service: string;
  readonly state: ServiceState['state'];
  /** It was running already: nothing was started. */
  readonly already: boolean;
  readonly url?: string;
  readonly pid?: number;
  readonly log: string;
  readonly note?: string;
}

/**
 * `isolane start`: starts the lane's services (or one) detached and waits for each to be ready.
 * The lane is held (shared) while processes are started, so a `down` never removes it between
 * the check and the start; the waits for readiness hold nothing.
 */
export async function startServices(project: Project, lane: string, only?: string, signal?: AbortSignal): Promise<StartResult[]> {
  assertLaneName(lane);
  const { ctx } = project;
  const chosen = chooseServices(project, only);
  const hold = await project.tryLaneLock(lane, ctx.lockTimeoutMs, true, true);
  if (!hold) throw new IsolaneError('LANE_BUSY', `lane ${lane} is busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`, { hint: '`isolane ls` shows its state' });
  const launched: Array<{ name: string; config: ServiceConfig; runner: ServiceRunner; launched?: Launched; result?: StartResult }> = [];
  try {
    const record = await readyLane(project, lane);
    project.checkRecord(record);
    const strategy = await project.strategy(record.strategy);
    await strategy.ready?.(record);
    const runner = runnerFor(project, record, strategy);
    for (const [name, config] of chosen) {
      const entry = await withServiceLock(project, lane, name, async () => {
        const current = await readServiceState(project.stateDir, lane, name);
        if (current && isRunningState(current.state) && current.pid !== undefined && (await runner.alive(current.pid, current.startTime ?? '0'))) {
          return { name, config, runner, result: resultOf(runner, current, true) };
        }
        ctx.logger.progress(`starting service ${name} of lane ${lane}: ${config.run.join(' ')}`);
        return { name, config, runner, launched: await launch(project, record, runner, name, config) };
      });
      launched.push(entry);
    }
  } finally {
    await hold.release();
  }
  // Each waits on its own: a slow one does not hold up another's report.
  return Promise.all(
    launched.map(async (e) => {
      if (e.result) return e.result;
      const final = await settle(project, e.runner, e.launched!, e.config, signal);
      return resultOf(e.runner, final, false);
    }),
  );
}

function resultOf(runner: ServiceRunner, s: ServiceState, already: boolean): StartResult {
  return {
    service: s.service,
    state: s.state,
    already,
    ...(s.url ? { url: s.url } : {}),
    ...(s.pid !== undefined ? { pid: s.pid } : {}),
    log: runner.logFile(s.service),
    ...(s.note ? { note: s.note } : {}),
  };
}
