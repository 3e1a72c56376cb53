import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { lstatOrUndefined, readDirSafely, readTextSafely, statQuietly } from '../fs/safe-read.js';
import type { WorktreeEntry } from './parse.js';

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

/** A linked worktree as git's registry holds it: what `git worktree list` says of it that isolane uses. */
export type RegisteredWorktree = Pick<WorktreeEntry, 'path' | 'branch' | 'prunable'>;

/**
 * The linked worktrees `git worktree list` lists, read from git's registry (each
 * `<commonDir>/worktrees/<id>/`) as git reads it, without a git process: the worktree is the
 * directory its `gitdir` file names (less `/.git`); one whose `gitdir` cannot be read is not
 * listed (git skips it too: a `worktree add` under way); its branch is what its `HEAD` names; it is
 * prunable when what `gitdir` names is gone and it is not locked. Undefined wherever that is less
 * than certain (a relative `gitdir`, as git 2.48 may write; a `HEAD` neither a branch nor an
 * object id; a symlink or anything else odd): ask git.
 */
export async function registeredWorktrees(commonDir: string): Promise<RegisteredWorktree[] | undefined> {
  const worktrees = path.join(commonDir, 'worktrees');
  try {
    const entries = (await readDirSafely(worktrees)) ?? [];
    const found: RegisteredWorktree[] = [];
    for (const entry of entries) {
      if (entry.isSymbolicLink()) return undefined; // git would follow it
      if (!entry.isDirectory()) continue; // git finds no gitdir in it either
      const dir = path.join(worktrees, entry.name);
      const text = await readTextSafely(path.join(dir, 'gitdir'), { maxBytes: 4096 });
      if (!text) continue; // absent or empty: git skips it
      const gitdir = text.trimEnd();
      if (!path.isAbsolute(gitdir)) return undefined;
      const head = (await readTextSafely(path.join(dir, 'HEAD'), { maxBytes: 4096 }))?.trimEnd() ?? '';
      const branch = /^ref: (refs\/\S+)$/.exec(head)?.[1];
      if (branch === undefined && !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(head)) return undefined;
      const locked = (await lstatOrUndefined(path.join(dir, 'locked'))) !== undefined;
      // As git's file_exists(): through a symlink.
      const prunable = !locked && statQuietly(gitdir) === undefined;
      found.push({ path: gitdir.endsWith('/.git') ? gitdir.slice(0, -'/.git'.length) : gitdir, branch, prunable });
    }
    return found;
  } catch {
    return undefined;
  }
}
