import { promises as fsp } from 'node:fs';
import type { Project } from '../engine/project.js';
import { readyLane } from '../engine/run.js';
import { IsolaneError } from '../errors.js';
import { assertLaneName } from '../git/names.js';
import { chooseServices } from './lane-services.js';
import { runnerFor } from './runner.js';
import { recordedServices } from './state.js';

export interface LogSource {
  readonly service: string;
  readonly file: string;
}

/** The log files of the lane's services (or one), those isolane.yaml names and those that ran. */
export async function logSources(project: Project, lane: string, only?: string): Promise<LogSource[]> {
  assertLaneName(lane);
  const record = await readyLane(project, lane, true);
  project.checkRecord(record);
  const runner = runnerFor(project, record, await project.strategy(record.strategy));
  const names = only !== undefined ? chooseServices(project, only).map(([n]) => n) : [...new Set([...Object.keys(project.config.services), ...(await recordedServices(project.stateDir, lane))])];
  if (names.length === 0) throw new IsolaneError('USAGE', `lane ${lane} has no services`, { hint: 'declare them under services: in isolane.yaml' });
  return names.map((service) => ({ service, file: runner.logFile(service) }));
}

/**
 * Reads what a log gained since `offset` (at most `max` bytes), never through a symlink or FIFO
 * (a container lane's log lives where the lane can write). A log that shrank is read from 0.
 */
export async function readLogChunk(file: string, offset: number, max = 1 << 20): Promise<{ text: string; next: number }> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, fsp.constants.O_RDONLY | fsp.constants.O_NOFOLLOW | fsp.constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) return { text: '', next: offset };
    const from = st.size < offset ? 0 : offset;
    const length = Math.min(max, st.size - from);
    if (length <= 0) return { text: '', next: from };
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, from);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), next: from + bytesRead };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: '', next: 0 };
    if (code === 'ELOOP' || code === 'ENXIO') throw new IsolaneError('UNSAFE_PATH', `${file} is a symlink or FIFO; isolane does not follow it`);
    throw e;
  } finally {
    await handle?.close();
  }
}
