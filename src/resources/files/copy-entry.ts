import { constants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { unsafePath } from '../../fs/safe-read.js';
import type { Owner } from './lane-owner.js';

/** How a file's bytes reach the lane: reflink only (fails where unsupported), a copy (a clone where the filesystem can), or a hard link. */
export type FileMode = 'reflink' | 'copy' | 'hardlink';

const FLAGS: Record<Exclude<FileMode, 'hardlink'>, number> = {
  // EXCL: a file already in the lane is never overwritten.
  reflink: constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE,
  copy: constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE,
};

/** What became of one entry: placed, or skipped and why (shown to the user). */
export type Placed = { readonly placed: true; readonly bytes: number } | { readonly placed: false; readonly why: string };

/**
 * Makes `rel`'s directory inside `root`, one component at a time: each must be a real directory
 * (never a symlink a checkout may hold there), created when missing with its source's mode.
 */
export async function ensureDirs(root: string, relDir: string, sourceRoot: string, owner: Owner | undefined): Promise<void> {
  let dir = root;
  let source = sourceRoot;
  for (const part of relDir === '.' || relDir === '' ? [] : relDir.split('/')) {
    dir = path.join(dir, part);
    source = path.join(source, part);
    const st = await fsp.lstat(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st?.isDirectory()) continue;
    if (st) throw unsafePath(dir, 'is not a directory (a symlink or file where the copy needs a directory)');
    const mode = (await fsp.lstat(source)).mode & 0o777;
    await fsp.mkdir(dir, { mode });
    await fsp.chmod(dir, mode);
    if (owner) await fsp.lchown(dir, owner.uid, owner.gid);
  }
}

/**
 * Places one entry of `sourceRoot` (already lstat'ed as `st`) at `dest`. Regular files get
 * their permission bits (never set-id bits); symlinks are made again only when relative and
 * leading inside `sourceRoot`, so the lane never reaches outside through them; anything else
 * (FIFO, device, socket) is skipped. Never overwrites, never follows a symlink at the source.
 */
export async function placeEntry(source: string, st: Stats, dest: string, sourceRoot: string, mode: FileMode, owner: Owner | undefined): Promise<Placed> {
  if (st.isSymbolicLink()) {
    const target = await fsp.readlink(source);
    const resolved = path.resolve(path.dirname(source), target);
    if (path.isAbsolute(target) || !resolved.startsWith(`${sourceRoot}${path.sep}`)) {
      return { placed: false, why: `a symlink to ${target}, outside ${sourceRoot}: not followed` };
    }
    await fsp.symlink(target, dest);
    if (owner) await fsp.lchown(dest, owner.uid, owner.gid);
    return { placed: true, bytes: 0 };
  }
  if (!st.isFile()) return { placed: false, why: 'not a regular file, directory or symlink (a FIFO, socket or device)' };
  if (mode === 'hardlink') {
    // A hard link is the same inode: its owner and mode are the source's, and must stay so.
    await fsp.link(source, dest);
  } else {
    await fsp.copyFile(source, dest, FLAGS[mode]);
    await fsp.chmod(dest, st.mode & 0o777);
    if (owner) await fsp.lchown(dest, owner.uid, owner.gid);
  }
  // copyFile follows a symlink: one swapped in meanwhile must not have been copied.
  const after = await fsp.lstat(source).catch(() => undefined);
  if (!after || after.ino !== st.ino || after.dev !== st.dev || !after.isFile()) {
    await fsp.rm(dest, { force: true });
    return { placed: false, why: 'replaced while being copied' };
  }
  return { placed: true, bytes: st.size };
}
