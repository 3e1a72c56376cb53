import type { Strategy } from '../../strategies/strategy.js';
import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';

/**
 * The resources of a lane, in the order a lane needs them. Each phase calls every resource's
 * part of it, one line per resource; `up` and `down` call the phases, nothing else.
 *
 * - reserve: decide and record what the lane will hold (port leases, database name), before
 *   anything is made; returns the record to write.
 * - prepare: after the checkout exists: ignored files, database branch, env files, shared
 *   directories, set-up steps.
 * - beforeRemoval: teardown steps, while the lane still exists (failures are reported, not blocking).
 * - release: after the lane is gone, or for a half-made lane: every part, idempotently.
 */
export function reserve(project: Project, record: LaneRecord): Promise<LaneRecord> {
  void project;
  return Promise.resolve(record);
}

export function prepare(project: Project, record: LaneRecord, strategy: Strategy): Promise<LaneRecord> {
  void project;
  void strategy;
  return Promise.resolve(record);
}

/** Returns notes on what failed (for the down report). */
export function beforeRemoval(project: Project, record: LaneRecord, strategy: Strategy): Promise<string[]> {
  void project;
  void record;
  void strategy;
  return Promise.resolve([]);
}

/** Returns notes on what could not be released (for the down report). */
export function release(project: Project, record: LaneRecord): Promise<string[]> {
  void project;
  void record;
  return Promise.resolve([]);
}
