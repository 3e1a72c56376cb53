import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { readTextSafely } from '../fs/safe-read.js';

/**
 * What gc removed, one JSON line each in `<state>/gc.log`, appended (O_APPEND writes of one line
 * are whole even with two gcs at once): each lane with its branch's last commit, so it can be
 * restored with `git branch <branch> <oid>` (the commits are also kept under refs/isolane/discarded/
 * when only gc's merge check let them go).
 */
export interface GcLogEntry {
  readonly at: string;
  readonly what: string;
  readonly lane?: string;
  readonly why: string;
  readonly branch?: { readonly name: string; readonly oid: string };
  readonly keptUnder?: string;
  readonly path?: string;
}

const MAX_LOG = 16 * 2 ** 20;

export function gcLogFile(stateDir: string): string {
  return path.join(stateDir, 'gc.log');
}

export async function appendGcLog(stateDir: string, entries: readonly GcLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await fsp.mkdir(stateDir, { recursive: true });
  // Never through a symlink planted in its place: O_NOFOLLOW makes opening one fail.
  const file = await fsp.open(gcLogFile(stateDir), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    await file.write(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  } finally {
    await file.close();
  }
}

/** The log, oldest first; a line that is not an entry (cut by a full disk) is skipped. */
export async function readGcLog(stateDir: string): Promise<GcLogEntry[]> {
  const text = (await readTextSafely(gcLogFile(stateDir), { maxBytes: MAX_LOG })) ?? '';
  return text.split('\n').flatMap((line) => {
    if (line === '') return [];
    try {
      const e = JSON.parse(line) as GcLogEntry;
      return typeof e.at === 'string' && typeof e.what === 'string' ? [e] : [];
    } catch {
      return [];
    }
  });
}
