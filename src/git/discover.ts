import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * What `git rev-parse --path-format=absolute --git-common-dir` answers, found without a git
 * process in the plain case only: the nearest enclosing directory with a `.git` directory that
 * git would take as a repository (HEAD, objects/ and refs/ there; no commondir file), on the same
 * filesystem as the start, and owned by this user (else git's safe.directory rules decide). Anything else (a `.git` file of a linked
 * worktree or submodule, a bare repository, another owner, a device boundary) is undefined:
 * ask git. isolane gives git a scrubbed environment, so no GIT_DIR or ceiling applies there either.
 * Spawning git costs a process more than Node's whole start-up budget for `isolane path`.
 */
export async function plainCommonDir(cwd: string): Promise<string | undefined> {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const start = await fsp.stat(cwd).catch(() => undefined);
  if (!start?.isDirectory()) return undefined;
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const here = await fsp.stat(dir).catch(() => undefined);
    if (!here || here.dev !== start.dev) return undefined;
    const dotGit = path.join(dir, '.git');
    const st = await fsp.lstat(dotGit).catch(() => undefined);
    if (st) {
      if (!st.isDirectory() || st.uid !== uid || here.uid !== uid) return undefined;
      return (await isPlainGitDir(dotGit)) ? fsp.realpath(dotGit).catch(() => undefined) : undefined;
    }
    // git takes a directory that is itself a repository (bare) before going up: let git answer for it.
    if (await fsp.access(path.join(dir, 'HEAD')).then(() => true, () => false)) return undefined;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** HEAD names a branch or a commit, objects/ and refs/ are there, and it shares no other common dir. */
async function isPlainGitDir(dir: string): Promise<boolean> {
  const [head, objects, refs, commondir] = await Promise.all([
    readHead(path.join(dir, 'HEAD')),
    fsp.stat(path.join(dir, 'objects')).catch(() => undefined),
    fsp.stat(path.join(dir, 'refs')).catch(() => undefined),
    fsp.lstat(path.join(dir, 'commondir')).then(() => true, () => false),
  ]);
  return head !== undefined && /^(?:ref: refs\/\S+|[0-9a-f]{40}|[0-9a-f]{64})\n?$/.test(head) && objects?.isDirectory() === true && refs?.isDirectory() === true && !commondir;
}

async function readHead(file: string): Promise<string | undefined> {
  const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    return st.isFile() && st.size <= 512 ? await handle.readFile('utf8') : undefined;
  } finally {
    await handle.close();
  }
}
