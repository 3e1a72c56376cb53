import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Options } from 'execa';
import type { Context } from '../context.js';

/**
 * Removes a directory tree as `fs.rm(dir, { recursive: true, force: true })` does (a symlink goes
 * itself, never what it leads to; nothing there is fine), with `rm -rf`: on a checkout of
 * thousands of files it takes a fraction of the CPU of Node's file-by-file removal. Where rm fails
 * or is missing, fs.rm does it (and says why it cannot).
 */
export async function removeTree(ctx: Context, dir: string): Promise<void> {
  if (!path.isAbsolute(dir)) throw new TypeError(`removeTree needs an absolute path, not ${dir}`);
  const { execa } = await import('execa'); // loaded when a process really runs: not at start-up
  const rm = await execa('rm', ['-rf', '--', dir], {
    env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    extendEnv: false,
    // The locks this operation holds go with it (see Context.heldLocks): an rm left running by a
    // killed isolane still holds the lane. execa's types omit raw descriptors past stdio[2].
    stdio: ['ignore', 'ignore', 'pipe', ...ctx.heldLocks] as unknown as Options['stdio'],
    reject: false,
    ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
  });
  if (rm.exitCode !== 0) await fsp.rm(dir, { recursive: true, force: true });
}
