import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readDirSafely, readTextSafely, realDirectory } from '../fs/safe-read.js';
import { identify, isRunning, type ProcessIdentity } from '../process/proc.js';
import { nameNonce } from '../fs/temp-name.js';

/**
 * What runs in a lane through isolane (`run`, `shell`): one small file per command under
 * `<state>/activity/<lane>/`, naming isolane's own process and, once started, the command's, each
 * with its start time. A lane is in use while either is alive: a killed isolane leaves its command
 * running, and that still counts. Files of processes that are gone are stale and swept by gc.
 */
export interface Activity {
  readonly what: string;
  readonly since: string;
  readonly isolane: ProcessIdentity;
  readonly command?: ProcessIdentity;
}

export interface ActivityHandle {
  /** The command started: remember its process too. */
  started(pid: number | undefined): Promise<void>;
  /** The command ended: forget it. */
  done(): Promise<void>;
}

const MAX_ENTRY = 4096;

export function activityDir(stateDir: string, lane: string): string {
  return path.join(stateDir, 'activity', lane);
}

export async function beginActivity(stateDir: string, lane: string, what: string, now: Date): Promise<ActivityHandle> {
  const dir = await realDirectory(activityDir(stateDir, lane));
  const self = (await identify(process.pid)) ?? { pid: process.pid, start: '?' };
  const file = path.join(dir, `${process.pid}-${nameNonce()}.json`);
  let entry: Activity = { what, since: now.toISOString(), isolane: self };
  const write = async (): Promise<void> => {
    const temp = `${file}.tmp`;
    await fsp.writeFile(temp, JSON.stringify(entry), { mode: 0o600, flag: 'wx' });
    await fsp.rename(temp, file);
  };
  await write();
  return {
    async started(pid) {
      const command = pid === undefined ? undefined : await identify(pid);
      if (!command) return;
      entry = { ...entry, command };
      await write();
    },
    async done() {
      await fsp.rm(file, { force: true });
    },
  };
}

/** What runs in the lane now; with `stale`, also the files of processes that are gone. */
export async function readActivity(stateDir: string, lane: string): Promise<{ live: Activity[]; stale: string[] }> {
  const dir = activityDir(stateDir, lane);
  const entries = (await readDirSafely(dir).catch(() => undefined)) ?? [];
  const live: Activity[] = [];
  const stale: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.json')) continue;
    const file = path.join(dir, e.name);
    const text = await readTextSafely(file, { maxBytes: MAX_ENTRY }).catch(() => undefined);
    const a = parse(text);
    if (!a) {
      stale.push(file);
      continue;
    }
    const alive = (await isRunning(a.isolane)) || (a.command !== undefined && (await isRunning(a.command)));
    if (alive) live.push(a);
    else stale.push(file);
  }
  return { live, stale };
}

function parse(text: string | undefined): Activity | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Activity>;
    const ok = (p: unknown): p is ProcessIdentity => typeof p === 'object' && p !== null && Number.isInteger((p as ProcessIdentity).pid) && typeof (p as ProcessIdentity).start === 'string';
    if (typeof v.what !== 'string' || typeof v.since !== 'string' || !ok(v.isolane) || (v.command !== undefined && !ok(v.command))) return undefined;
    return v as Activity;
  } catch {
    return undefined;
  }
}
