import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';
import { isOurProcess } from '../process/proc.js';
import { isRunningState, laneServiceStates, type ServiceStateName } from './state.js';

export interface ServiceSummary {
  readonly name: string;
  readonly state: ServiceStateName;
  readonly url?: string;
  readonly pid?: number;
  readonly restarts?: number;
  readonly note?: string;
}

/**
 * The lane's services as last recorded, for `ls`: cheap, no probe. A host service whose process
 * is gone reads as exited; a container's is reported as recorded (looking would mean an exec).
 */
export async function serviceSummaries(project: Project, record: LaneRecord): Promise<ServiceSummary[]> {
  const states = await laneServiceStates(project.stateDir, record.lane);
  return Promise.all(
    states.map(async (s): Promise<ServiceSummary> => {
      let state = s.state;
      let note = s.note;
      if (isRunningState(state) && s.where === 'host' && !(s.pid !== undefined && (await isOurProcess(s.pid, s.startTime ?? '0')))) {
        state = 'exited';
        note = 'its process is gone';
      }
      const running = isRunningState(state);
      return {
        name: s.service,
        state,
        ...(s.url && running ? { url: s.url } : {}),
        ...(s.pid !== undefined && running ? { pid: s.pid } : {}),
        ...(s.restarts > 0 ? { restarts: s.restarts } : {}),
        ...(note ? { note } : s.exitCode !== undefined && state === 'exited' ? { note: `exit code ${s.exitCode}` } : {}),
      };
    }),
  );
}

/** `web healthy http://127.0.0.1:20001/` — one service in words. */
export function describeService(s: ServiceSummary): string {
  return [s.name, s.state, s.url, s.restarts ? `(restarts: ${s.restarts})` : undefined, s.note ? `(${s.note})` : undefined].filter(Boolean).join(' ');
}
