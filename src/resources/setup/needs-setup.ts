import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { laneLockfileHash } from './run-setup.js';

export interface SetupStatus {
  /** The lane's set-up should run again (`isolane setup <lane>`); absent when the project has no set-up. */
  readonly needsSetup?: boolean;
  readonly note?: string;
}

/**
 * Whether a lane's set-up is current: it passed, for the lockfile the lane has now. Reads only
 * the lane's lockfile (bounded, never through a symlink).
 */
export async function setupStatus(project: Project, record: LaneRecord): Promise<SetupStatus> {
  if (project.config.setup.length === 0) return {};
  const again = `\`isolane setup ${record.lane}\` runs it again`;
  const done = record.resources?.setup;
  if (record.state === 'setup-failed' || done?.ok === false) return { needsSetup: true, note: `set-up failed (output: ${done?.log ?? 'none'}); ${again}` };
  if (!done) return { needsSetup: true, note: `made before isolane.yaml had set-up steps; \`isolane setup ${record.lane}\` runs them` };
  let now: string | undefined;
  try {
    now = await laneLockfileHash(project, record);
  } catch (e) {
    return { needsSetup: true, note: `its lockfile could not be read (${e instanceof Error ? e.message : String(e)})` };
  }
  if (now !== done.lockfileHash) return { needsSetup: true, note: `its lockfile changed since its set-up; ${again}` };
  return { needsSetup: false };
}
