import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IsolaneError, isIsolaneError } from '../../errors.js';
import { readTextSafely } from '../../fs/safe-read.js';
import { LANE_NAME } from '../../git/names.js';
import { tempFileFor } from '../../fs/temp-name.js';

/** One port held by one lane, under one of isolane.yaml's port names. */
export interface PortLease {
  readonly port: number;
  readonly lane: string;
  readonly name: string;
  readonly at: string;
}

const MAX_FILE = 4 * 2 ** 20;

/** `<state dir>/ports.json`: every lease of the repository. Read and written under the repository lock. */
export function leaseFile(stateDir: string): string {
  return path.join(stateDir, 'ports.json');
}

/**
 * The leases, checked one by one: a worktree lane can write into the shared `.git`, so the file
 * is read like anything a lane controls (no symlink, bounded) and a lease that is not one stops
 * the command rather than handing its port out twice.
 */
export async function readLeases(file: string): Promise<PortLease[]> {
  let text: string | undefined;
  try {
    text = await readTextSafely(file, { maxBytes: MAX_FILE });
  } catch (e) {
    if (isIsolaneError(e, 'UNSAFE_PATH')) throw corrupt(file, e.message);
    throw e;
  }
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, `not JSON: ${(e as Error).message}`);
  }
  const leases = (value as { version?: unknown; leases?: unknown } | null)?.leases;
  if ((value as { version?: unknown } | null)?.version !== 1 || !Array.isArray(leases)) throw corrupt(file, 'expected {"version": 1, "leases": [...]}');
  return leases.map((l: unknown, i) => {
    const r = l as Partial<PortLease> | null;
    const ok = r && Number.isInteger(r.port) && (r.port ?? 0) > 0 && (r.port ?? 0) <= 65535 && typeof r.lane === 'string' && LANE_NAME.test(r.lane) && typeof r.name === 'string' && typeof r.at === 'string';
    if (!ok) throw corrupt(file, `lease ${i} is not a lease`);
    return { port: r.port, lane: r.lane, name: r.name, at: r.at } as PortLease;
  });
}

/** Written whole or not at all (temp file + rename), as the journal is. */
export async function writeLeases(file: string, leases: readonly PortLease[]): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const temp = tempFileFor(file);
  const sorted = [...leases].sort((a, b) => a.port - b.port);
  try {
    await fsp.writeFile(temp, `${JSON.stringify({ version: 1, leases: sorted }, null, 2)}\n`, { flag: 'wx' });
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}

function corrupt(file: string, why: string): IsolaneError {
  return new IsolaneError('INTERNAL', `the port leases ${file} are corrupt: ${why}`, {
    hint: 'remove the file: the next `isolane up` writes it again from the lanes that hold ports (their records keep them)',
    data: { file },
  });
}
