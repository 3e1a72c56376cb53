import { promises as fsp } from 'node:fs';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { setupLogPath } from './setup-log.js';

/** Phase `release`: the lane's set-up log goes with it (idempotent; a teardown log that tells of a failure stays). */
export async function releaseSetup(project: Project, record: LaneRecord): Promise<string[]> {
  await fsp.rm(setupLogPath(project.stateDir, record.lane), { force: true });
  return [];
}
