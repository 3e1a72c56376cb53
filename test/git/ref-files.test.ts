/**
 * Branch tips read from the ref files (src/git/ref-files.ts) must be exactly what git reads, or
 * no answer at all (then git is asked): each case below is made with real git and compared with
 * `git rev-parse`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBranchTips } from '../../src/git/ref-files.js';
import { commitFile, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo?.cleanup();
});

/** What git says each name is (null: no such branch). */
async function gitSays(names: readonly string[]): Promise<Array<string | null>> {
  return Promise.all(names.map(async (n) => (await repo.git(['rev-parse', '--verify', '--quiet', '--end-of-options', n]).catch(() => '')).trim() || null));
}

describe('branch tips from the ref files', () => {
  it('loose, packed, loose over a stale packed line, a deleted packed branch, a missing one and a prefix directory: as git reads them', async () => {
    await repo.git(['branch', 'packed']);
    await repo.git(['branch', 'both']);
    await repo.git(['branch', 'gone']);
    await repo.git(['branch', 'dir/inside']);
    await repo.git(['pack-refs', '--all']);
    await commitFile(repo, repo.root, 'next.txt', 'next');
    await repo.git(['branch', '-f', 'both', 'HEAD']); // a loose file now, its packed line stale
    await repo.git(['branch', 'loose']);
    await repo.git(['branch', '-D', 'gone']); // its packed line removed
    const names = ['refs/heads/main', 'refs/heads/packed', 'refs/heads/both', 'refs/heads/loose', 'refs/heads/gone', 'refs/heads/never', 'refs/heads/dir', 'refs/heads/dir/inside', 'refs/heads/loose^{commit}'];
    const read = await readBranchTips(repo.root, names);
    expect(read).toEqual(await gitSays(names));
    expect(read?.filter((r) => r === null)).toHaveLength(3); // gone, never, dir: the test sees absences too
  });

  it('short branch names where git would reach refs/heads first: as git reads them; where it might reach another ref first, or none, no answer', async () => {
    await repo.git(['branch', 'packed']);
    await repo.git(['pack-refs', '--all']);
    await repo.git(['branch', 'loose']);
    const plain = ['main', 'packed', 'loose^{commit}', 'feature-x'];
    await repo.git(['branch', 'feature-x']);
    expect(await readBranchTips(repo.root, plain)).toEqual(await gitSays(plain));
    await repo.git(['branch', 'amb']);
    await repo.git(['tag', 'amb', 'HEAD~0']); // refs/tags/amb comes before refs/heads/amb
    await repo.git(['branch', 'config']); // .git/config comes before refs/heads/config
    await repo.git(['update-ref', 'refs/remotes/origin/only', 'HEAD']); // not a branch: git finds it in refs/remotes
    for (const name of ['amb', 'config', 'HEAD', 'origin/only', 'never', 'heads/main']) expect(await readBranchTips(repo.root, [name]), name).toBeUndefined();
  });

  it('gives no answer (git is asked) for a symbolic ref, a symlink, a name that is not a branch, another ref store or a linked worktree', async () => {
    await repo.git(['symbolic-ref', 'refs/heads/alias', 'refs/heads/main']);
    expect(await readBranchTips(repo.root, ['refs/heads/alias'])).toBeUndefined();
    await fsp.symlink(path.join(repo.root, '.git', 'refs', 'heads', 'main'), path.join(repo.root, '.git', 'refs', 'heads', 'linked'));
    expect(await readBranchTips(repo.root, ['refs/heads/linked'])).toBeUndefined();
    for (const name of ['HEAD', 'refs/tags/v1', 'refs/heads/../config', 'refs/heads/main~1', 'main~1']) expect(await readBranchTips(repo.root, [name]), name).toBeUndefined();
    await repo.git(['worktree', 'add', '-q', path.join(repo.dir, 'wt')]);
    expect(await readBranchTips(path.join(repo.dir, 'wt'), ['refs/heads/main'])).toBeUndefined();
    await repo.git(['config', 'extensions.refStorage', 'reftable']);
    expect(await readBranchTips(repo.root, ['refs/heads/main'])).toBeUndefined();
  });

  it('a torn packed-refs is no answer, not a wrong one', async () => {
    await repo.git(['branch', 'packed']);
    await repo.git(['pack-refs', '--all']);
    await fsp.appendFile(path.join(repo.root, '.git', 'packed-refs'), 'not a packed ref line\n');
    expect(await readBranchTips(repo.root, ['refs/heads/packed'])).toBeUndefined();
  });
});
