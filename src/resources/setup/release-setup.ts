import { rmSync } from 'node:fs';
import { promised } from '../../fs/safe-read.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { setupLogPath } from './setup-log.js';

/** Phase `release`: the lane's set-up log goes with it (idempotent; a teardown log that tells of a failure stays). */
export function releaseSetup(project: Project, record: LaneRecord): Promise<string[]> {
  return promised(() => {
    rmSync(setupLogPath(project.stateDir, record.lane), { force: true });
    return [];
  });
}
