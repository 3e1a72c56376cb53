import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readTextSafely } from '../../fs/safe-read.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import type { Strategy } from '../../../strategies/strategy.js';
import { excludeInLane } from './exclude.js';
import { normaliseRelativeFile } from '../relative-path.js';
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
  const files = [...new Set((config.env?.files ?? ['.env.isolane']).map(normaliseRelativeFile))];
  if (files.length === 0) return record;
  // Ignored first: a file is never visible to git in the lane, even for a moment.
  await excludeInLane(project, record.path, files);
  const block = `${BEGIN} lane ${record.lane}; \`isolane env ${record.lane}\` prints it\n${dotenvLines(laneEnvironment(record, config, strategy.workdir ?? record.path))}${END}\n`;
  const within = await fsp.realpath(record.path);
  for (const file of files) {
    // A file already there (copied from the main checkout) keeps its own lines; isolane's block
    // comes last, so its values win with every dotenv reader (the last definition counts).
    const existing = (await readTextSafely(path.join(record.path, file), { maxBytes: MAX_EXISTING, within })) ?? '';
    const own = withoutBlock(existing);
    // Owner-only: it may hold a database URL with its password.
    await writeInside(record.path, file, `${own}${own === '' || own.endsWith('\n') ? '' : '\n'}${block}`, 0o600);
  }
  return record;
}

const BEGIN = '# isolane:begin';
const END = '# isolane:end';
const MAX_EXISTING = 1 << 20;

/** The text without a block an earlier write left. */
function withoutBlock(text: string): string {
  const start = text.indexOf(BEGIN);
  if (start < 0) return text;
  const end = text.indexOf(END, start);
  return text.slice(0, start) + (end < 0 ? '' : text.slice(end + END.length).replace(/^\n/, ''));
}
