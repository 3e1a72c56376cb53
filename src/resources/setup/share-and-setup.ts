import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { seedShares } from '../share/seed-shares.js';
import { runSetup } from './run-setup.js';

/** Phase `prepare`, last: shared directories seeded, then the set-up steps (which must pass whether or not a seed was used). */
export async function shareAndSetUp(project: Project, record: LaneRecord, strategy: Strategy): Promise<LaneRecord> {
  await seedShares(project, record, strategy);
  return runSetup(project, record, strategy);
}
