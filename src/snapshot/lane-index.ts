import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { lstatOrUndefined, unsafePath } from '../fs/safe-read.js';
import { SnapshotError } from './errors.js';

/**
 * Gives a `git worktree add --no-checkout` worktree the base's index, so its first `git status`
 * finds every file clean by stat data instead of hashing the tree. The copy is written beside
 * the target and renamed over it: git never reads half an index. Its mtime is the copy's (now),
 * later than every base file's, so no entry is racily clean in the lane.
 */
export async function copyLaneIndex(baseIndex: string, adminDir: string): Promise<string> {
  await assertRealDir(adminDir);
  const target = path.join(adminDir, 'index');
  const tmp = path.join(adminDir, `index.isolane-${randomBytes(6).toString('hex')}`);
  try {
    await fsp.copyFile(baseIndex, tmp, constants.COPYFILE_EXCL);
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  return target;
}

/**
 * The worktree's `.git` file, copied into the lane's upper layer: mounting over the lane's
 * directory hides the one `git worktree add` wrote there. The original stays under the mount,
 * so the lane's directory still names its worktree while unmounted (after a reboot) and
 * `git worktree prune` does not take it for gone.
 */
export async function copyGitFileToUpper(lanePath: string, upper: string): Promise<void> {
  const source = path.join(lanePath, '.git');
  const st = await lstatOrUndefined(source);
  if (!st) throw new SnapshotError('BAD_PATH', `${source} does not exist: ${lanePath} is not a worktree`);
  if (!st.isFile()) throw unsafePath(source, 'is not a regular file (a worktree .git file)');
  await assertRealDir(upper);
  // Removed first and created exclusively: a retry replaces it, and never writes through a symlink.
  const dest = path.join(upper, '.git');
  await fsp.rm(dest, { force: true });
  await fsp.copyFile(source, dest, constants.COPYFILE_EXCL);
}

async function assertRealDir(dir: string): Promise<void> {
  const st = await lstatOrUndefined(dir);
  if (!st) throw new SnapshotError('BAD_PATH', `${dir} does not exist`);
  if (!st.isDirectory()) throw unsafePath(dir, 'is not a directory');
}
