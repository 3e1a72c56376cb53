import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { LANE_NAME } from '../git/names.js';

/**
 * isolane's own files about one lane, beside its record: `<dir>/<lane><suffix>` under the state
 * dir. A lane's removal takes them; gc takes those of lanes that no longer exist.
 */
const PER_LANE: ReadonlyArray<{ readonly dir: string; readonly suffix: string }> = [
  { dir: 'activity', suffix: '' },
  { dir: 'claims', suffix: '.json' },
  { dir: 'setup', suffix: '.log' },
  { dir: 'services', suffix: '' },
  { dir: 'sync', suffix: '.json' },
  { dir: 'sync', suffix: '.index' },
];

export interface StaleState {
  readonly lane: string;
  readonly file: string;
}

/** Files of lanes not in `live`. */
export async function staleLaneState(stateDir: string, live: ReadonlySet<string>): Promise<StaleState[]> {
  const found: StaleState[] = [];
  for (const { dir, suffix } of PER_LANE) {
    const names = await fsp.readdir(path.join(stateDir, dir)).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith(suffix)) continue;
      const lane = name.slice(0, name.length - suffix.length);
      if (LANE_NAME.test(lane) && !live.has(lane)) found.push({ lane, file: path.join(stateDir, dir, name) });
    }
  }
  return found;
}

export async function removeLaneState(file: string): Promise<void> {
  await fsp.rm(file, { recursive: true, force: true });
}
