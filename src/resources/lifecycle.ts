import type { Strategy } from '../../strategies/strategy.js';
import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';
import { writeEnvFiles } from './env/env-files.js';
import { copyIgnoredFiles } from './files/copy-ignored.js';
import { migrateDatabase, prepareDatabase, releaseDatabase, reserveDatabase } from './database/lane-database.js';
import { releaseSetup } from './setup/release-setup.js';
import { runTeardown } from './setup/run-teardown.js';
import { shareAndSetUp } from './setup/share-and-setup.js';
import { releaseLanePorts, reservePorts } from './ports/reserve-ports.js';
import { removeLaneCgroup } from '../limits/confine.js';
import { releaseServices } from '../services/release-services.js';

/**
 * The resources of a lane, in the order a lane needs them. Each phase calls every resource's
 * part of it, one line per resource; `up` and `down` call the phases, nothing else.
 *
 * - reserve: decide and record what the lane will hold (port leases, database name), before
 *   anything is made; returns the record to write.
 * - prepare: after the checkout exists: database branch, ignored files, env files, migration,
 *   shared directories, set-up steps.
 * - beforeRemoval: teardown steps, while the lane still exists (failures are reported, not blocking).
 * - release: after the lane is gone, or for a half-made lane: every part, idempotently.
 */
export async function reserve(project: Project, record: LaneRecord): Promise<LaneRecord> {
  let r = record;
  r = await reservePorts(project, r);
  r = await reserveDatabase(project, r);
  return r;
}

export async function prepare(project: Project, record: LaneRecord, strategy: Strategy): Promise<LaneRecord> {
  let r = record;
  r = await prepareDatabase(project, r); // first: the branch, so DATABASE_URL is known
  await copyIgnoredFiles(project, r, strategy); // before env files, migration and set-up, which may rely on them
  r = await writeEnvFiles(project, r, strategy); // after the database (DATABASE_URL), before set-up steps
  await migrateDatabase(project, r, strategy); // with the lane's files and env files in place
  r = await shareAndSetUp(project, r, strategy); // last: seeds, then set-up steps with everything in place
  return r;
}

/** Returns notes on what failed (for the down report). */
export async function beforeRemoval(project: Project, record: LaneRecord, strategy: Strategy): Promise<string[]> {
  const notes: string[] = [];
  notes.push(...(await runTeardown(project, record, strategy)));
  return notes;
}

/** Returns notes on what could not be released (for the down report). */
export async function release(project: Project, record: LaneRecord): Promise<string[]> {
  const notes: string[] = [];
  notes.push(...(await releaseLanePorts(project, record)));
  notes.push(...(await releaseSetup(project, record)));
  notes.push(...(await releaseDatabase(project, record)));
  notes.push(...(await removeLaneCgroup(project, record.lane))); // empty by now: down stopped what ran in the lane
  notes.push(...(await releaseServices(project.stateDir, record.lane)));
  return notes;
}
