import { chmodSync, mkdirSync, promises as fsp, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../errors.js';
import { readTextSafely } from '../fs/safe-read.js';
import { parseRootMarker, ROOT_MARKER, rootMarkerText } from '../lane/root-marker.js';
import { tempFileFor } from '../fs/temp-name.js';

/*
 * A lanes root holds nothing but one repository's lanes, and says so with its marker
 * (root-marker.ts): shared with another checkout, or with the user's own directories, isolane
 * could not tell its lanes from what it must never touch.
 */
export { ROOT_MARKER } from '../lane/root-marker.js';

export interface LanesRootFacts {
  readonly root: string;
  /** The repository's common dir and id (RepoLocation). */
  readonly commonDir: string;
  readonly repoRoot: string;
  readonly repoId: string;
  /** Where lanes.root is set, for errors (`isolane.yaml:3:3 lanes.root`). */
  readonly where: string;
}

export interface LanesRootState {
  /** Entries of the lanes root that are not this repository's lanes (set only when it has no marker). */
  readonly foreign: readonly string[];
  /** The repository that marked this lanes root, when it is another one. */
  readonly ownedBy?: string;
  readonly marked: boolean;
}

function configError(f: LanesRootFacts, problem: string, hint = 'set lanes.root in isolane.yaml to a directory of its own, outside the repository, e.g. ../{repo}.lanes'): IsolaneError {
  return new IsolaneError('CONFIG', `${f.where}: ${f.root} ${problem}`, { hint });
}

/** `inner` is `outer` or below it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `p`, or of its nearest existing ancestor with the rest appended. */
function realish(p: string): string {
  // Synchronous (as src/fs/safe-read.ts reads), and native, as fs.promises.realpath is.
  let real: string | undefined;
  try {
    real = realpathSync.native(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (real) return real;
  const parent = path.dirname(p);
  return parent === p ? p : path.join(realish(parent), path.basename(p));
}

/**
 * Checks a lanes root before any command relies on it: never the repository or a directory
 * holding it, never inside `.git`, a directory (not a file, not a symlink loop) that only this
 * user can write. Then reads its marker: `claim` (for `up`) writes it where it is missing and
 * the root holds nothing but lanes `isOurs` proves this repository's, and refuses a root that
 * holds anything else. Without `isOurs` the root's entries are not looked at.
 */
export async function checkLanesRoot(f: LanesRootFacts, isOurs: ((name: string) => Promise<boolean>) | undefined, claim: boolean, again = false): Promise<LanesRootState> {
  let real: string;
  try {
    real = realish(f.root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError(f, code === 'ELOOP' ? 'is a symlink loop' : code === 'ENOTDIR' ? 'has a file where a directory should be' : `cannot be resolved (${code ?? String(e)})`);
  }
  const repoRoot = realish(f.repoRoot);
  if (isWithin(repoRoot, real)) throw configError(f, `is or contains the repository ${f.repoRoot}: its lanes would sit beside (and be taken for) your own files`);
  const gitDir = realish(f.commonDir);
  if (isWithin(real, gitDir)) throw configError(f, 'is inside the repository\'s .git');

  let st: Stats | undefined;
  try {
    st = statSync(f.root); // synchronous, as src/fs/safe-read.ts reads
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw configError(f, 'is a symlink loop');
    if (code !== 'ENOENT') throw configError(f, `cannot be read (${code ?? String(e)})`);
  }
  if (!st) return { foreign: [], marked: false };
  if (!st.isDirectory()) throw configError(f, 'is not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw configError(f, `belongs to another user (uid ${st.uid}): anything they put there could be taken for a lane`);
  if ((st.mode & 0o022) !== 0) throw configError(f, `can be written by other users (mode ${(st.mode & 0o777).toString(8)})`, `\`chmod go-w ${f.root}\`, or set another lanes.root`);

  const markerText = await readTextSafely(path.join(f.root, ROOT_MARKER), { maxBytes: 4096 }).catch(() => undefined);
  if (markerText !== undefined) {
    const owner = parseRootMarker(markerText);
    if (owner?.repo === f.repoId) return { foreign: [], marked: true };
    const ownedBy = owner?.commonDir ?? 'an unreadable marker';
    if (claim) throw configError(f, `holds the lanes of another repository (${ownedBy})`);
    return { foreign: [], ownedBy, marked: true };
  }
  if (!isOurs) return { foreign: [], marked: false };
  const names = await fsp.readdir(f.root);
  // A concurrent `up` marked it between our read of the marker and this listing: read it again,
  // once (a marker that cannot be read, a symlink say, is then foreign as anything else).
  if (names.includes(ROOT_MARKER) && !again) return checkLanesRoot(f, isOurs, claim, true);
  const foreign: string[] = [];
  for (const name of names) if (!isMarkerDraft(name) && !(await isOurs(name))) foreign.push(name);
  if (claim) {
    if (foreign.length > 0) {
      throw configError(f, `holds ${foreign.length} thing(s) isolane did not make for this repository: ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}`);
    }
    await writeMarkerOnce(f);
    return checkLanesRoot(f, isOurs, true);
  }
  return { foreign, marked: false };
}


const DRAFT = /^\.isolane-lanes\.json\.\d+\.[0-9a-f]{8}\.tmp$/;
const isMarkerDraft = (name: string): boolean => DRAFT.test(name);

/**
 * Writes the marker whole or not at all: a draft linked into place (link(2) fails when the name
 * exists), so a concurrent `up` never reads it half-written and two never both write it.
 */
async function writeMarkerOnce(f: LanesRootFacts): Promise<void> {
  const draft = tempFileFor(path.join(f.root, ROOT_MARKER));
  await fsp.writeFile(draft, rootMarkerText(f.repoId, f.commonDir), { flag: 'wx' });
  try {
    await fsp.link(draft, path.join(f.root, ROOT_MARKER)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e; // a concurrent `up` marked it first: checked again by the caller
    });
  } finally {
    await fsp.rm(draft, { force: true });
  }
}

/** Makes the lanes root (only this user may write it) and claims it. */
export async function ensureLanesRoot(f: LanesRootFacts, isOurs: (name: string) => Promise<boolean>): Promise<void> {
  await checkLanesRoot(f, isOurs, false); // refuses a wrong place before making anything there
  // mkdir answers the first directory it made: that one, and only that, gets our mode, whatever the umask.
  // Synchronous, as src/fs/safe-read.ts reads: every `up` makes sure of it.
  const made = mkdirSync(f.root, { recursive: true });
  if (made !== undefined) chmodSync(f.root, 0o755);
  await checkLanesRoot(f, isOurs, true);
}
