import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { isGitRefName } from './names.js';

/** Regular files only, never through a symlink, never blocking on open. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OID_LINE = /^([0-9a-f]{40}|[0-9a-f]{64})\n?$/;
/** `refs/heads/<name>`, optionally peeled to its commit: what a branch holds is always a commit. */
const BRANCH = /^(refs\/heads\/.+?)(?:\^\{commit\})?$/;

/**
 * Branch tips read from the repository's ref files, without a git process (a few milliseconds
 * each, on every command), for a main checkout's `<root>/.git` in git's files ref store: a loose
 * ref file holding an object id, else its line in packed-refs (the order git reads them in, so a
 * `pack-refs` meanwhile is seen right), else the branch does not exist (null). Wherever the
 * answer is less than certain (another ref store, a symbolic ref, a symlink, a name that is not a
 * branch, anything odd) the whole answer is undefined: ask git.
 */
export async function readBranchTips(root: string, names: readonly string[]): Promise<Array<string | null> | undefined> {
  const refs = names.map((n) => BRANCH.exec(n)?.[1]);
  if (refs.some((r) => r === undefined || !isGitRefName(r))) return undefined;
  const gitDir = path.join(root, '.git');
  const [dir, config, linked] = await Promise.all([fsp.lstat(gitDir).catch(() => undefined), readSmall(path.join(gitDir, 'config')), fsp.lstat(path.join(gitDir, 'commondir')).catch(() => undefined)]);
  // A real git dir of a main checkout, whose config names no other ref store (reftable).
  if (!dir?.isDirectory() || linked !== undefined || typeof config !== 'string' || /^\s*refstorage\s*=/im.test(config)) return undefined;
  let packed: Map<string, string> | null | undefined;
  const out: Array<string | null> = [];
  for (const ref of refs as string[]) {
    const loose = await readSmall(path.join(gitDir, ref));
    if (typeof loose === 'string') {
      const oid = OID_LINE.exec(loose)?.[1];
      if (oid === undefined) return undefined; // a symbolic ref, or not a ref file at all
      out.push(oid);
      continue;
    }
    if (loose !== null) return undefined;
    packed ??= await packedRefs(gitDir);
    if (packed === null) return undefined;
    out.push(packed.get(ref) ?? null);
  }
  return out;
}

/** packed-refs as name -> oid (an absent file is an empty one); null when it cannot be read as git writes it. */
async function packedRefs(gitDir: string): Promise<Map<string, string> | null> {
  const text = await readSmall(path.join(gitDir, 'packed-refs'), 64 << 20);
  if (text === null) return new Map();
  if (typeof text !== 'string') return null;
  const refs = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue; // header, peeled tags
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line);
    if (!m?.[1] || !m[2]) return null;
    refs.set(m[2], m[1]);
  }
  return refs;
}

/** A small regular file's text; null when nothing is there (or a directory: a longer ref's prefix); undefined when something else is. */
async function readSmall(file: string, maxBytes = 4096): Promise<string | null | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : undefined;
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) return null;
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return await handle.readFile('utf8');
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
