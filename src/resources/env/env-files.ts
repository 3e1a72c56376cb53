import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import type { Strategy } from '../../../strategies/strategy.js';
import { excludeInLane } from './exclude.js';
import { normaliseEnvFile } from './file-path.js';
import { dotenvLines } from './format.js';
import { declaresEnvironment, laneEnvironment } from './lane-env.js';
import { writeInside } from './safe-write.js';

/**
 * Phase prepare: the lane's environment in each of `env.files` (default `.env.isolane`), as the
 * lane's own commands see it (inside a container, its path is the container's). Only for a
 * project whose isolane.yaml declares ports, a database or env: other lanes stay files only.
 */
export async function writeEnvFiles(project: Project, record: LaneRecord, strategy: Strategy): Promise<LaneRecord> {
  const { config } = project;
  if (!declaresEnvironment(config)) return record;
  const files = [...new Set((config.env?.files ?? ['.env.isolane']).map(normaliseEnvFile))];
  if (files.length === 0) return record;
  // Ignored first: a file is never visible to git in the lane, even for a moment.
  await excludeInLane(project, record.path, files);
  const text = `# written by isolane for lane ${record.lane}; \`isolane env ${record.lane}\` prints it\n${dotenvLines(laneEnvironment(record, config, strategy.workdir ?? record.path))}`;
  // Owner-only: it may hold a database URL with its password.
  for (const file of files) await writeInside(record.path, file, text, 0o600);
  return record;
}
