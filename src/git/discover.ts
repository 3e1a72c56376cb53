import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { lstatQuietly, promised, quietly, statQuietly } from '../fs/safe-read.js';

/**
 * What `git rev-parse --path-format=absolute --git-common-dir` answers, found without a git
 * process in the plain case only: the nearest enclosing directory with a `.git` directory that
 * git would take as a repository (HEAD, objects/ and refs/ there; no commondir file), on the same
 * filesystem as the start, and owned by this user (else git's safe.directory rules decide). Anything else (a `.git` file of a linked
 * worktree or submodule, a bare repository, another owner, a device boundary) is undefined:
 * ask git. isolane gives git a scrubbed environment, so no GIT_DIR or ceiling applies there either.
 * Spawning git costs a process more than Node's whole start-up budget for `isolane path`.
 */
export function plainCommonDir(cwd: string): Promise<string | undefined> {
  // Synchronous calls, as src/fs/safe-read.ts: a handful of stats and one small read.
  return promised(() => plainCommonDirNow(cwd));
}

function plainCommonDirNow(cwd: string): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const start = statQuietly(cwd);
  if (!start?.isDirectory()) return undefined;
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const here = statQuietly(dir);
    if (!here || here.dev !== start.dev) return undefined;
    const dotGit = path.join(dir, '.git');
    const st = lstatQuietly(dotGit);
    if (st) {
      if (!st.isDirectory() || st.uid !== uid || here.uid !== uid) return undefined;
      return isPlainGitDir(dotGit) ? quietly(() => realpathSync(dotGit)) : undefined;
    }
    // git takes a directory that is itself a repository (bare) before going up: let git answer for it.
    if (statQuietly(path.join(dir, 'HEAD')) !== undefined) return undefined;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** HEAD names a branch or a commit, objects/ and refs/ are there, and it shares no other common dir. */
function isPlainGitDir(dir: string): boolean {
  const head = readHead(path.join(dir, 'HEAD'));
  const isDir = (name: string): boolean => statQuietly(path.join(dir, name))?.isDirectory() === true;
  return head !== undefined && /^(?:ref: refs\/\S+|[0-9a-f]{40}|[0-9a-f]{64})\n?$/.test(head) && isDir('objects') && isDir('refs') && lstatQuietly(path.join(dir, 'commondir')) === undefined;
}

function readHead(file: string): string | undefined {
  const fd = quietly(() => openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK));
  if (fd === undefined) return undefined;
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size <= 512 ? readFileSync(fd, 'utf8') : undefined;
  } finally {
    closeSync(fd);
  }
}
