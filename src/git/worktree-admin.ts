import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readTextSafely } from '../fs/safe-read.js';

/**
 * The git directory of the worktree at `workTree` (`<common>/worktrees/<id>`), proven both ways:
 * the worktree's `.git` file names it, and its `gitdir` file names the worktree back. A lane can
 * rewrite its own `.git` file; it cannot make this repository's registry point at it.
 * Returns the reason when there is none.
 */
export async function worktreeAdminDir(commonDir: string, workTree: string): Promise<{ dir: string } | { problem: string }> {
  const dotGit = path.join(workTree, '.git');
  let text: string | undefined;
  try {
    text = await readTextSafely(dotGit, { maxBytes: 4096 });
  } catch (e) {
    return { problem: e instanceof Error ? e.message : String(e) };
  }
  if (text === undefined) return { problem: `${dotGit} is missing` };
  const named = /^gitdir: (.+)$/m.exec(text)?.[1]?.trim();
  const worktrees = path.join(commonDir, 'worktrees');
  const dir = named === undefined ? undefined : path.resolve(workTree, named);
  if (!dir || path.dirname(dir) !== worktrees) return { problem: `${dotGit} does not name a worktree of ${commonDir}` };
  const back = await readTextSafely(path.join(dir, 'gitdir'), { maxBytes: 4096 }).catch(() => undefined);
  if (back?.trim() !== dotGit) return { problem: `${dir} does not belong to ${workTree}` };
  return { dir };
}

/**
 * The git directory git's registry holds for `workTree` (its `gitdir` file names `<workTree>/.git`),
 * found without the worktree: for a lane whose directory is gone. Undefined when there is none.
 */
export async function registeredAdminDir(commonDir: string, workTree: string): Promise<{ dir: string } | undefined> {
  const worktrees = path.join(commonDir, 'worktrees');
  const ids = await fsp.readdir(worktrees).catch(() => [] as string[]);
  const want = path.join(workTree, '.git');
  for (const id of ids) {
    const dir = path.join(worktrees, id);
    const back = await readTextSafely(path.join(dir, 'gitdir'), { maxBytes: 4096 }).catch(() => undefined);
    if (back?.trim() === want) return { dir };
  }
  return undefined;
}
