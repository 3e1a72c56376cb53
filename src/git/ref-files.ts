import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lstatQuietly, promised } from '../fs/safe-read.js';
import { isGitRefName } from './names.js';

/** Regular files only, never through a symlink, never blocking on open. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OID_LINE = /^([0-9a-f]{40}|[0-9a-f]{64})\n?$/;
/** A revision as `<name>` or `<name>^{commit}`: what a branch holds is always a commit. */
const PEELED = /^(.+?)(?:\^\{commit\})?$/;

/**
 * Branch tips read from the repository's ref files, without a git process (a few milliseconds
 * each, on every command), for a main checkout's `<root>/.git` in git's files ref store: a loose
 * ref file holding an object id, else its line in packed-refs (the order git reads them in, so a
 * `pack-refs` meanwhile is seen right), else the branch does not exist (null). A name is
 * `refs/heads/<branch>`, or a short `<branch>` where git's own lookup order would reach
 * `refs/heads/<branch>` first: nothing at `.git/<branch>`, `refs/<branch>` or
 * `refs/tags/<branch>`. Wherever the answer is less than certain (another ref store, a symbolic
 * ref, a symlink, a short name git would take elsewhere or not find among branches, anything odd)
 * the whole answer is undefined: ask git. Read synchronously, as src/fs/safe-read.ts reads.
 */
export function readBranchTips(root: string, names: readonly string[]): Promise<Array<string | null> | undefined> {
  return promised(() => readBranchTipsNow(root, names));
}

function readBranchTipsNow(root: string, names: readonly string[]): Array<string | null> | undefined {
  const asked = names.map((n) => PEELED.exec(n)?.[1] ?? n);
  const refs = asked.map((n) => (n.startsWith('refs/') ? n : `refs/heads/${n}`));
  if (refs.some((r) => !r.startsWith('refs/heads/') || !isGitRefName(r))) return undefined;
  const gitDir = path.join(root, '.git');
  const [dir, config, linked] = [lstatQuietly(gitDir), readSmall(path.join(gitDir, 'config'), 1 << 20), lstatQuietly(path.join(gitDir, 'commondir'))];
  // A real git dir of a main checkout, whose config (branch sections make it grow past a page) names no other ref store (reftable).
  if (!dir?.isDirectory() || linked !== undefined || typeof config !== 'string' || /^\s*refstorage\s*=/im.test(config)) return undefined;
  let packed: Map<string, string> | null | undefined;
  /** The ref's object id, null when there is none, undefined when that is not certain. */
  const read = (ref: string): string | null | undefined => {
    const loose = readSmall(path.join(gitDir, ref));
    if (typeof loose === 'string') return OID_LINE.exec(loose)?.[1]; // else a symbolic ref, or not a ref file at all
    if (loose !== null) return undefined;
    packed ??= packedRefs(gitDir);
    return packed === null ? undefined : (packed.get(ref) ?? null);
  };
  const out: Array<string | null> = [];
  for (const [i, ref] of refs.entries()) {
    const name = asked[i] ?? '';
    if (!name.startsWith('refs/')) {
      // git looks at these before refs/heads/<name>: any of them there, and git decides.
      const before = [readSmall(path.join(gitDir, name)), read(`refs/${name}`), read(`refs/tags/${name}`)];
      if (before.some((b) => b !== null)) return undefined;
    }
    const oid = read(ref);
    if (oid === undefined || (oid === null && !name.startsWith('refs/'))) return undefined; // a short name may be a remote branch's: git knows
    out.push(oid);
  }
  return out;
}

/** packed-refs as name -> oid (an absent file is an empty one); null when it cannot be read as git writes it. */
function packedRefs(gitDir: string): Map<string, string> | null {
  const text = readSmall(path.join(gitDir, 'packed-refs'), 64 << 20);
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
function readSmall(file: string, maxBytes = 4096): string | null | undefined {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : undefined;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return null;
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
