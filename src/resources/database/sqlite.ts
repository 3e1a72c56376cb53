import path from 'node:path';
import type { Project } from '../../engine/project.js';
import { IsolaneError } from '../../errors.js';
import { lstatOrUndefined, unsafePath } from '../../fs/safe-read.js';
import { excludeInLane } from '../env/exclude.js';
import { ensureDirs, placeEntry } from '../files/copy-entry.js';
import { laneOwner } from '../files/lane-owner.js';
import { normaliseRelativeFile } from '../relative-path.js';

/** SQLite's companions of a database file: a write-ahead log holds committed pages not yet in the file. */
const COMPANIONS = ['-wal'] as const;

/**
 * The SQLite file of the main checkout, checked: a regular file reached through real
 * directories only, so no symlink takes the copy out of the main checkout.
 */
export async function sqliteSource(project: Project, configured: string): Promise<{ rel: string; file: string }> {
  const rel = normaliseRelativeFile(configured);
  let at = project.repo.root;
  for (const part of rel.split('/')) {
    at = path.join(at, part);
    const st = await lstatOrUndefined(at);
    const where = project.where(['database', 'path']);
    if (!st) {
      throw new IsolaneError('CONFIG', `${where}: ${at} does not exist: there is no SQLite database to copy into lanes`, {
        hint: 'create it first (your migrations, or `sqlite3 <file> "VACUUM"`), or fix database.path',
      });
    }
    const last = at === path.join(project.repo.root, rel);
    if (st.isSymbolicLink() || (last ? !st.isFile() : !st.isDirectory())) {
      throw new IsolaneError('CONFIG', `${where}: ${at} is ${st.isSymbolicLink() ? 'a symlink' : last ? 'not a regular file' : 'not a directory'}: isolane copies only a file of the main checkout itself, never through a link`, {
        hint: 'name the real file in database.path',
      });
    }
  }
  return { rel, file: at };
}

/**
 * Copies the database (copy-on-write where the filesystem can, else a copy; never over a
 * file already in the lane) to the same place in the lane, owned like the lane, and keeps
 * it out of git there. Returns the lane's copy on the host.
 */
export async function copySqlite(project: Project, source: { rel: string; file: string }, lanePath: string): Promise<string> {
  const owner = await laneOwner(lanePath);
  await ensureDirs(lanePath, path.posix.dirname(source.rel), project.repo.root, owner);
  const names = [source.rel, ...COMPANIONS.map((c) => `${source.rel}${c}`)];
  for (const name of names) {
    const from = path.join(project.repo.root, name);
    const st = await lstatOrUndefined(from);
    if (!st) continue; // a companion the source does not have
    if (!st.isFile()) throw unsafePath(from, 'is not a regular file');
    const placed = await placeEntry(from, st, path.join(lanePath, name), project.repo.root, 'copy', owner).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      throw new IsolaneError('DATABASE_FAILED', `${path.join(lanePath, name)} is already in the lane (committed to the repository?); isolane never copies over it`, {
        hint: 'a committed database is already the lane\'s own copy: remove database from isolane.yaml, or stop committing the file',
      });
    });
    if (!placed.placed) throw new IsolaneError('DATABASE_FAILED', `could not copy ${from} into lane ${path.basename(lanePath)}: ${placed.why}`);
  }
  // Excluded, with SQLite's other companions, so the copy is never committed nor counted as work.
  await excludeInLane(project, lanePath, [...names, `${source.rel}-shm`, `${source.rel}-journal`]);
  return path.join(lanePath, source.rel);
}
