import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { lstatOrUndefined, unsafePath } from '../../fs/safe-read.js';
import { nameNonce } from '../../fs/temp-name.js';

/**
 * Writing a file at a relative path under a directory a lane controls: every directory on the
 * way must be a real directory (made when missing), never a symlink that would lead out of the
 * lane, and the file is replaced whole (temp + rename, which never follows a link at its name).
 * Running as root, new files and directories get the owner of the directory above them, so a
 * container lane's user can still read and change them.
 */
export async function writeInside(root: string, rel: string, content: string, mode: number): Promise<string> {
  const rootStat = await lstatOrUndefined(root);
  if (!rootStat?.isDirectory()) throw unsafePath(root, rootStat ? 'is not a real directory' : 'does not exist');
  const segments = rel.split('/');
  let dir = root;
  let owner = { uid: rootStat.uid, gid: rootStat.gid };
  for (const segment of segments.slice(0, -1)) {
    const next = path.join(dir, segment);
    let stat = await lstatOrUndefined(next);
    if (!stat) {
      await fsp.mkdir(next, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      await adopt(next, owner);
      stat = await lstatOrUndefined(next);
    }
    if (!stat?.isDirectory()) throw unsafePath(next, stat?.isSymbolicLink() ? 'is a symlink' : 'is not a directory');
    owner = { uid: stat.uid, gid: stat.gid };
    dir = next;
  }
  const target = path.join(dir, segments[segments.length - 1] ?? '');
  const existing = await lstatOrUndefined(target);
  if (existing && !existing.isFile()) throw unsafePath(target, existing.isSymbolicLink() ? 'is a symlink' : 'is not a regular file');
  const temp = `${target}.isolane-${nameNonce()}.tmp`;
  try {
    await fsp.writeFile(temp, content, { flag: 'wx', mode });
    await fsp.chmod(temp, mode);
    await adopt(temp, existing ?? owner);
    await fsp.rename(temp, target);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
  return target;
}

async function adopt(p: string, owner: { readonly uid: number; readonly gid: number }): Promise<void> {
  if (process.getuid?.() === 0) await fsp.lchown(p, owner.uid, owner.gid);
}
