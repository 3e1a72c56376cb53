import path from 'node:path';
import { readDirSafely, readTextSafely } from '../fs/safe-read.js';
import { isGitRefName } from './names.js';

export const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Bounds on what a lane's repository may make isolane read. */
const MAX_REF_FILE = 4096;
const MAX_PACKED_REFS = 64 * 2 ** 20;
const MAX_REFLOG = 16 * 2 ** 20;
const MAX_REFS = 100_000;
const MAX_DEPTH = 32;

/** Everything in a lane's repository that holds commits, read as data. */
export interface LaneRefs {
  /** The commit checked out (HEAD, symbolic or detached); undefined on an unborn branch. */
  readonly head: string | undefined;
  /** Every ref under refs/ that names an object (symbolic refs are left out: their targets are listed). */
  readonly refs: ReadonlyMap<string, string>;
  /** Every stash entry, stash@{0} first (only the newest is a ref; the rest live in its reflog). */
  readonly stash: readonly string[];
  /** What could not be read safely, in words: each is work isolane could not check. */
  readonly unreadable: readonly string[];
}

/**
 * Reads HEAD, loose and packed refs and the stash's reflog of the git directory `gitDir` as
 * plain files: never running git there, never following a symlink, never blocking on a FIFO,
 * never reading without a bound. `within` is the real path the files must stay inside.
 */
export async function readLaneRefs(gitDir: string, within: string): Promise<LaneRefs> {
  const refs = new Map<string, string>();
  const unreadable: string[] = [];
  const read = async (file: string, maxBytes: number): Promise<string | undefined> => {
    try {
      return await readTextSafely(file, { maxBytes, within });
    } catch (e) {
      unreadable.push(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };

  const packed = (await read(path.join(gitDir, 'packed-refs'), MAX_PACKED_REFS)) ?? '';
  for (const line of packed.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    const oid = line.slice(0, space);
    const name = line.slice(space + 1);
    if (OID.test(oid) && isGitRefName(name)) refs.set(name, oid);
    else unreadable.push(`packed-refs has a line isolane cannot read: ${JSON.stringify(line.slice(0, 80))}`);
  }

  // Loose refs override packed ones.
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return void unreadable.push(`${dir} nests deeper than ${MAX_DEPTH} levels`);
    let entries;
    try {
      entries = await readDirSafely(dir);
    } catch (e) {
      return void unreadable.push(e instanceof Error ? e.message : String(e));
    }
    for (const entry of entries ?? []) {
      if (refs.size > MAX_REFS) return void unreadable.push(`more than ${MAX_REFS} refs`);
      const name = `${prefix}/${entry.name}`;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(file, name, depth + 1);
      else if (entry.name.endsWith('.lock')) continue; // a git at work there; the ref itself is read
      else if (!isGitRefName(name)) unreadable.push(`a ref with a name git would not make: ${JSON.stringify(name)}`);
      else {
        const text = (await read(file, MAX_REF_FILE))?.trim();
        if (text === undefined) continue;
        if (OID.test(text)) refs.set(name, text);
        else if (!text.startsWith('ref: ')) unreadable.push(`${file} holds neither an object id nor a symbolic ref`);
      }
    }
  };
  await walk(path.join(gitDir, 'refs'), 'refs', 0);

  const headText = (await read(path.join(gitDir, 'HEAD'), MAX_REF_FILE))?.trim() ?? '';
  const symbolic = /^ref: (refs\/\S+)$/.exec(headText)?.[1];
  const head = symbolic ? refs.get(symbolic) : OID.test(headText) ? headText : undefined;
  if (!symbolic && !head) unreadable.push(`${path.join(gitDir, 'HEAD')} names no commit isolane can read`);

  // stash@{n} for n > 0 exist only as entries of refs/stash's reflog: "<old> <new> <who> <when>\t<msg>".
  const reflog = (await read(path.join(gitDir, 'logs', 'refs', 'stash'), MAX_REFLOG)) ?? '';
  const stash = reflog
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((oid) => OID.test(oid))
    .reverse();
  const top = refs.get('refs/stash');
  if (top && !stash.includes(top)) stash.unshift(top);
  return { head, refs, stash, unreadable };
}
