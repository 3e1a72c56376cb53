/**
 * The linked worktrees read from git's registry files (src/git/worktree-admin.ts
 * registeredWorktrees) must be what `git worktree list` says, or no answer at all (then git is
 * asked): each case is made with real git and compared with its porcelain output.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWorktreeList } from '../../src/git/parse.js';
import { registeredWorktrees } from '../../src/git/worktree-admin.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
let commonDir: string;
beforeEach(async () => {
  repo = await makeRepo();
  commonDir = path.join(repo.root, '.git');
});
afterEach(async () => {
  await repo?.cleanup();
});

/** What `git worktree list` says of the linked worktrees, by path. */
async function gitSays(): Promise<Array<{ path: string; branch: string | undefined; prunable: boolean }>> {
  const all = parseWorktreeList(await repo.git(['worktree', 'list', '--porcelain', '-z']));
  return all
    .filter((w) => w.path !== repo.root)
    .map((w) => ({ path: w.path, branch: w.branch, prunable: w.prunable }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

const filesSay = async () => (await registeredWorktrees(commonDir))?.slice().sort((a, b) => a.path.localeCompare(b.path));

describe("linked worktrees from git's registry files", () => {
  it('on a branch, detached, locked, with their directory gone, locked and gone: as git lists them', async () => {
    const wt = (name: string): string => path.join(repo.dir, name);
    await repo.git(['worktree', 'add', '-q', '-b', 'on-branch', wt('a')]);
    await repo.git(['worktree', 'add', '-q', '--detach', wt('b')]);
    await repo.git(['worktree', 'add', '-q', '-b', 'locked', wt('c')]);
    await repo.git(['worktree', 'lock', wt('c')]);
    await repo.git(['worktree', 'add', '-q', '-b', 'gone', wt('d')]);
    await fsp.rm(wt('d'), { recursive: true });
    await repo.git(['worktree', 'add', '-q', '-b', 'locked-gone', wt('e')]);
    await repo.git(['worktree', 'lock', wt('e')]);
    await fsp.rm(wt('e'), { recursive: true });
    const git = await gitSays();
    expect(git).toHaveLength(5);
    expect(git.filter((w) => w.prunable).map((w) => path.basename(w.path))).toEqual(['d']); // the test sees both kinds
    expect(await filesSay()).toEqual(git);
  });

  it('none at all, and an admin directory a `worktree add` has not written yet: as git lists them', async () => {
    expect(await filesSay()).toEqual([]);
    await repo.git(['worktree', 'add', '-q', '-b', 'one', path.join(repo.dir, 'one')]);
    await fsp.mkdir(path.join(commonDir, 'worktrees', 'half-made'));
    await fsp.writeFile(path.join(commonDir, 'worktrees', 'stray-file'), 'x');
    expect(await filesSay()).toEqual(await gitSays());
    expect(await filesSay()).toHaveLength(1);
  });

  it('gives no answer, so git is asked, for a relative gitdir, a symlinked admin directory or gitdir, and a HEAD that is neither', async () => {
    const one = path.join(repo.dir, 'one');
    await repo.git(['worktree', 'add', '-q', '-b', 'one', one]);
    const admin = path.join(commonDir, 'worktrees', 'one');
    const gitdir = path.join(admin, 'gitdir');
    const kept = await fsp.readFile(gitdir, 'utf8');
    expect(await filesSay()).toHaveLength(1);

    await fsp.writeFile(gitdir, '../../../one/.git\n');
    expect(await registeredWorktrees(commonDir)).toBeUndefined();
    await fsp.rm(gitdir);
    await fsp.writeFile(path.join(repo.dir, 'elsewhere'), kept);
    await fsp.symlink(path.join(repo.dir, 'elsewhere'), gitdir);
    expect(await registeredWorktrees(commonDir)).toBeUndefined();
    await fsp.rm(gitdir);
    await fsp.writeFile(gitdir, kept);

    const head = path.join(admin, 'HEAD');
    const headText = await fsp.readFile(head, 'utf8');
    await fsp.writeFile(head, 'not a ref\n');
    expect(await registeredWorktrees(commonDir)).toBeUndefined();
    await fsp.writeFile(head, headText);

    await fsp.rename(admin, path.join(repo.dir, 'moved-admin'));
    await fsp.symlink(path.join(repo.dir, 'moved-admin'), admin);
    expect(await registeredWorktrees(commonDir)).toBeUndefined();
  });
});
