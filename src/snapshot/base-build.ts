import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { runBaseGit } from './base-git.js';

/** The files of one base: its checkout and the index describing it, stat data included. */
export interface BaseFiles {
  readonly tree: string;
  readonly index: string;
}

export function baseFiles(dir: string): BaseFiles {
  return { tree: path.join(dir, 'tree'), index: path.join(dir, 'index') };
}

/**
 * Checks out `oid` into `<dir>/tree` with its index at `<dir>/index`. `checkout-index --index`
 * records each file's stat data as it writes it, so no file is hashed twice; the index is then
 * written once more after the clock has passed its files' mtimes (see waitForClockPast).
 * Checking out a tree of 5,000 files takes about half a second; the wait adds up to a second.
 */
export async function buildBase(ctx: Context, commonDir: string, oid: string, dir: string): Promise<BaseFiles> {
  const files = baseFiles(dir);
  const base = { commonDir, ...files };
  await fsp.mkdir(files.tree, { recursive: true });
  await runBaseGit(ctx, base, ['read-tree', oid]);
  await runBaseGit(ctx, base, ['checkout-index', '--all', '--force', '--quiet', '--index']);
  await waitForClockPast(files.index, dir);
  await runBaseGit(ctx, base, ['update-index', '-q', '--refresh', '--force-write-index']);
  return files;
}

/**
 * Racy git: an entry whose mtime is not older than the index file's own is "racily clean", and
 * every git status in every lane reads that file again to compare contents, then rewrites the
 * index. git built without USE_NSEC (Debian's, for one) compares whole seconds, so a base
 * checked out and indexed within one second is racy all over. Waiting until a file written now
 * gets an mtime in a later second than the index, then writing the index again, makes every
 * entry older than the index at any precision. Once per commit, at most a second.
 */
async function waitForClockPast(index: string, scratch: string): Promise<void> {
  const second = (ns: bigint): bigint => ns / 1_000_000_000n;
  const written = (await fsp.stat(index, { bigint: true })).mtimeNs;
  const probe = path.join(scratch, '.clock');
  try {
    for (let i = 0; i < 100; i++) {
      await fsp.writeFile(probe, '');
      const now = (await fsp.stat(probe, { bigint: true })).mtimeNs;
      if (second(now) > second(written)) return;
      await sleep(Number(((second(now) + 1n) * 1_000_000_000n - now) / 1_000_000n) + 1);
    }
  } finally {
    await fsp.rm(probe, { force: true });
  }
  throw new IsolaneError('INTERNAL', `the clock of the filesystem holding ${scratch} did not move past the second of ${index}'s mtime`);
}
