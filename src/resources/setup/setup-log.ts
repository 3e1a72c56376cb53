import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { tempFileFor } from '../../fs/temp-name.js';

/** A step log keeps its last this-many bytes: enough for any failure, bounded for chatty installs. */
export const MAX_LOG_BYTES = 1024 * 1024;

/** Where a lane's set-up output is kept: `<common-dir>/isolane/setup/<lane>.log` (and `.teardown.log`). */
export function setupLogPath(stateDir: string, lane: string, kind: 'setup' | 'teardown' = 'setup'): string {
  return path.join(stateDir, 'setup', kind === 'setup' ? `${lane}.log` : `${lane}.teardown.log`);
}

/** The tail of `text` that fits `max` bytes, marked when cut. */
export function tail(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  return `[... ${bytes.length - max} earlier bytes cut ...]\n${bytes.subarray(bytes.length - max).toString('utf8')}`;
}

/** Writes the log whole or not at all (temp file + rename), as the journal writes records. */
export async function writeLog(file: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const temp = tempFileFor(file);
  try {
    await fsp.writeFile(temp, tail(text, MAX_LOG_BYTES), { flag: 'wx' });
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}
