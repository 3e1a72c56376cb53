import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IsolaneError, isIsolaneError } from '../errors.js';
import { promised, readTextSafely } from '../fs/safe-read.js';
import { LANE_NAME } from '../git/names.js';
import type { LaneRecord, LaneRecordState } from '../lane/record.js';
import { tempFileFor } from '../fs/temp-name.js';

export type { LaneRecord, LaneRecordState };

/** A record file that could not be read as a lane record. */
export interface CorruptRecord {
  readonly lane: string;
  readonly file: string;
  readonly problem: string;
}

const STATES: readonly LaneRecordState[] = ['creating', 'ready', 'removing', 'setup-failed'];
const MAX_RECORD = 64 * 1024;

function parseRecord(text: string, lane: string): LaneRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  const r = value as Record<string, unknown>;
  if ('unsafe' in r) return String(r.unsafe);
  for (const key of ['lane', 'strategy', 'branch', 'base', 'startOid', 'path', 'createdAt'] as const) {
    if (typeof r[key] !== 'string') return `field ${key} is missing or not a string`;
  }
  if (r.version !== 1) return `unsupported record version ${String(r.version)}`;
  if (r.lane !== lane) return `record names lane ${String(r.lane)}`;
  if (!STATES.includes(r.state as LaneRecordState)) return `unknown state ${String(r.state)}`;
  if (r.removal !== undefined && (typeof r.removal !== 'object' || r.removal === null)) return 'field removal is not an object';
  if (r.resources !== undefined && (typeof r.resources !== 'object' || r.resources === null)) return 'field resources is not an object';
  return value as LaneRecord;
}

/** isolane's state directory of a repository: `<git-common-dir>/isolane`. */
export function stateDirOf(commonDir: string): string {
  return path.join(commonDir, 'isolane');
}

/** Reads and writes lane records. Each write is atomic (temp file + rename). */
export class Journal {
  constructor(readonly dir: string) {}

  /** The journal of a repository, without loading its config (for hot read-only paths). */
  static of(commonDir: string): Journal {
    return new Journal(path.join(stateDirOf(commonDir), 'lanes'));
  }

  file(lane: string): string {
    return path.join(this.dir, `${lane}.json`);
  }

  async read(lane: string): Promise<LaneRecord | undefined> {
    const text = await this.readText(lane);
    if (text === undefined) return undefined;
    const parsed = parseRecord(text, lane);
    if (typeof parsed === 'string') {
      throw new IsolaneError('INTERNAL', `the journal record ${this.file(lane)} is corrupt: ${parsed}`, {
        hint: `inspect it; \`isolane down ${lane} --force\` removes the record and what isolane can prove it made for lane ${lane}`,
        data: { lane, corrupt: true },
      });
    }
    return parsed;
  }

  /**
   * A record file as text, undefined when there is none. A worktree lane can write into the
   * shared `.git`, so a record is read like any file a lane controls: no symlink, no FIFO, bounded.
   * A file that is not a plain record file reads as a corrupt record.
   */
  async readText(lane: string): Promise<string | undefined> {
    try {
      return await readTextSafely(this.file(lane), { maxBytes: MAX_RECORD });
    } catch (e) {
      if (isIsolaneError(e, 'UNSAFE_PATH')) return `{"unsafe": ${JSON.stringify(e.message)}}`;
      throw e;
    }
  }

  // Writes, removals and listings are synchronous, as src/fs/safe-read.ts reads: a record is a
  // small local file, `up` and `down` write it twice, and fs.promises alone costs a command 1-1.5
  // ms to load.
  write(record: LaneRecord): Promise<void> {
    return promised(() => {
      mkdirSync(this.dir, { recursive: true });
      const target = this.file(record.lane);
      const temp = tempFileFor(target);
      try {
        // Only this user may read it: a record can hold a database URL with its password.
        writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
        renameSync(temp, target);
      } catch (e) {
        rmSync(temp, { force: true });
        throw e;
      }
    });
  }

  /**
   * Removes temp files a killed writer left (`<lane>.json.<pid>.<hex>.tmp`). Only the holder of
   * the lane lock writes a lane's record, so under that lock every such file is stale.
   */
  removeStaleTemps(lane: string): Promise<void> {
    return promised(() => {
      const prefix = `${lane}.json.`;
      for (const name of this.names()) {
        if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(path.join(this.dir, name), { force: true });
      }
    });
  }

  remove(lane: string): Promise<void> {
    return promised(() => rmSync(this.file(lane), { force: true }));
  }

  /** What the records' directory holds; nothing before the first record. */
  private names(): string[] {
    try {
      return readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async list(): Promise<{ records: LaneRecord[]; corrupt: CorruptRecord[] }> {
    const records: LaneRecord[] = [];
    const corrupt: CorruptRecord[] = [];
    for (const name of this.names().sort()) {
      const lane = name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined;
      if (lane === undefined || !LANE_NAME.test(lane)) continue;
      const file = this.file(lane);
      const text = await this.readText(lane);
      if (text === undefined) continue; // removed while we listed
      const parsed = parseRecord(text, lane);
      if (typeof parsed === 'string') corrupt.push({ lane, file, problem: parsed });
      else records.push(parsed);
    }
    return { records, corrupt };
  }
}
