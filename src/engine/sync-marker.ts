import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readFileSafely, readTextSafely, realDirectory } from '../fs/safe-read.js';
import { OID } from '../git/lane-refs.js';
import { nameNonce, tempFileFor } from '../fs/temp-name.js';

/** A lane's index can be large; a copy is kept only while its rebase runs. */
const MAX_INDEX = 1024 * 2 ** 20;

/**
 * What a lane was before isolane began rebasing it, kept in isolane's state
 * (`<common-dir>/isolane/sync/<lane>.json`, its index bytes beside it) until the rebase is done or
 * rolled back: a sync killed half-way is found and undone by the next sync or down of the lane.
 */
export interface SyncMarker {
  readonly version: 1;
  readonly lane: string;
  readonly branch: string;
  /** The branch's commit before the rebase. */
  readonly oid: string;
  /** HEAD's symbolic ref before (always the branch's: a lane on anything else is not rebased). */
  readonly head: string;
  /** sha256 of the lane's index file before, hex; null when it had none. */
  readonly indexSha256: string | null;
  readonly startedAt: string;
  readonly pid: number;
}

export function syncDir(stateDir: string): string {
  return path.join(stateDir, 'sync');
}

const markerFile = (stateDir: string, lane: string): string => path.join(syncDir(stateDir), `${lane}.json`);
const indexCopy = (stateDir: string, lane: string): string => path.join(syncDir(stateDir), `${lane}.index`);

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The lane's index file as it is now (never through a symlink), undefined when there is none. */
export function readIndex(gitDir: string): Promise<Buffer | undefined> {
  return readFileSafely(path.join(gitDir, 'index'), { maxBytes: MAX_INDEX });
}

async function writeAtomically(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await realDirectory(path.dirname(file)); // never through a symlink planted in .git
  const temp = tempFileFor(file);
  try {
    await fsp.writeFile(temp, data, { flag: 'wx', mode });
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}

/** Written before the rebase starts: the index copy first, so a marker always has its copy. */
export async function writeSyncMarker(stateDir: string, marker: SyncMarker, index: Buffer | undefined): Promise<void> {
  if (index) await writeAtomically(indexCopy(stateDir, marker.lane), index);
  await writeAtomically(markerFile(stateDir, marker.lane), `${JSON.stringify(marker, null, 2)}\n`);
}

/** The marker of an unfinished sync of `lane`; a file that is not one is reported, not trusted. */
export async function readSyncMarker(stateDir: string, lane: string): Promise<SyncMarker | { readonly corrupt: string } | undefined> {
  const text = await readTextSafely(markerFile(stateDir, lane), { maxBytes: 64 * 1024 });
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Partial<SyncMarker>;
    if (m.version === 1 && m.lane === lane && typeof m.branch === 'string' && typeof m.oid === 'string' && OID.test(m.oid) && typeof m.head === 'string' && (m.indexSha256 === null || typeof m.indexSha256 === 'string')) {
      return m as SyncMarker;
    }
    return { corrupt: `${markerFile(stateDir, lane)} is not a sync marker` };
  } catch (e) {
    return { corrupt: `${markerFile(stateDir, lane)}: ${(e as Error).message}` };
  }
}

/** The index bytes saved with the marker, if they are still the ones it names. */
export async function savedIndex(stateDir: string, marker: SyncMarker): Promise<Buffer | undefined> {
  if (marker.indexSha256 === null) return undefined;
  const bytes = await readFileSafely(indexCopy(stateDir, marker.lane), { maxBytes: MAX_INDEX });
  return bytes && sha256(bytes) === marker.indexSha256 ? bytes : undefined;
}

export async function removeSyncMarker(stateDir: string, lane: string): Promise<void> {
  await fsp.rm(markerFile(stateDir, lane), { force: true });
  await fsp.rm(indexCopy(stateDir, lane), { force: true });
}

/** Puts `bytes` back as the lane's index, by rename (a symlink there is replaced, never followed), keeping its owner. */
export async function restoreIndex(gitDir: string, bytes: Buffer): Promise<void> {
  const file = path.join(gitDir, 'index');
  const owner = await fsp.lstat(file).catch(() => undefined);
  const temp = `${file}.isolane-${process.pid}.${nameNonce()}.tmp`;
  try {
    await fsp.writeFile(temp, bytes, { flag: 'wx', mode: owner ? owner.mode & 0o777 : 0o644 });
    if (owner && process.getuid?.() === 0) await fsp.chown(temp, owner.uid, owner.gid);
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}
