import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { leasePorts, releasePorts } from './leases.js';
import { parseRange } from './range.js';

/** Phase reserve: the lane's port leases, recorded in its record. No `ports:` section, no change. */
export async function reservePorts(project: Project, record: LaneRecord): Promise<LaneRecord> {
  const settings = project.config.ports;
  if (!settings) return record;
  const range = parseRange(settings.range);
  // The schema checked it; a string here would be a bug, not bad input.
  if (typeof range === 'string') throw new Error(range);
  const ports = await leasePorts(project, record.lane, settings.names, range);
  return { ...record, resources: { ...record.resources, ports } };
}

/** Phase release: whatever the lane holds (also leases a killed `up` made but never recorded). */
export async function releaseLanePorts(project: Project, record: LaneRecord): Promise<string[]> {
  // A lease left behind is reclaimed by the next lease once the record is gone: a note, not a failure.
  return releasePorts(project, record.lane).then(
    () => [],
    (e: unknown) => [`its port leases could not be released now (the next lease reclaims them): ${e instanceof Error ? e.message : String(e)}`],
  );
}
