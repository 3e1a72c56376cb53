import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { runTool } from './run-tool.js';

/**
 * Removes a directory tree as `fs.rm(dir, { recursive: true, force: true })` does (a symlink goes
 * itself, never what it leads to; nothing there is fine), with `rm -rf`: on a checkout of
 * thousands of files it takes a fraction of the CPU of Node's file-by-file removal. Where rm fails
 * or is missing, fs.rm does it (and says why it cannot).
 */
export async function removeTree(ctx: Context, dir: string): Promise<void> {
  if (!path.isAbsolute(dir)) throw new TypeError(`removeTree needs an absolute path, not ${dir}`);
  const rm = await runTool(ctx, 'rm', ['-rf', '--', dir], { env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  if (rm.exitCode !== 0) await fsp.rm(dir, { recursive: true, force: true });
}
