/**
 * `ls` reads a worktree lane with one git process: `status --porcelain=v2 --branch`, its base
 * given as the branch's upstream on the command line. Its files must read exactly as the v1
 * status `down` uses, and its counts as `rev-list --left-right --count`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { headBranchFromFile } from '../../src/git/head-branch.js';
import { parseStatus, parseStatusV2 } from '../../src/git/parse.js';
import { hostReader } from '../../src/lane/host-reader.js';
import { dirtyFiles, filesAndCounts } from '../../src/lane/inspect.js';
import { commitFile, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => repo.cleanup());

const write = async (file: string, text: string, root = repo.root): Promise<void> => {
  await fsp.mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await fsp.writeFile(path.join(root, file), text);
};

describe('status --porcelain=v2', () => {
  it('reads every kind of change as the v1 lines do', async () => {
    // A conflict first (unmerged entries), then changes of every other kind beside it.
    await write('conflict.txt', 'base\n');
    await write('old name.txt', 'to be renamed\n');
    await write('gone.txt', 'to be deleted\n');
    await repo.git(['add', '-A']);
    await repo.git(['commit', '-q', '-m', 'files']);
    await repo.git(['checkout', '-q', '-b', 'other']);
    await write('conflict.txt', 'theirs\n');
    await repo.git(['commit', '-q', '-am', 'theirs']);
    await repo.git(['checkout', '-q', 'main']);
    await write('conflict.txt', 'ours\n');
    await repo.git(['commit', '-q', '-am', 'ours']);
    await repo.git(['merge', '-q', 'other']).catch(() => undefined);
    await repo.git(['mv', 'old name.txt', 'new name -> odd.txt']);
    await repo.git(['rm', '-q', 'gone.txt']);
    await write('README.md', 'changed, unstaged\n');
    await write('staged.txt', 'staged\n');
    await repo.git(['add', 'staged.txt']);
    await write('staged.txt', 'staged, then changed\n');
    await write('deep/dir/untracked file.txt', 'new\n');
    await write('tab\there.txt', 'odd name\n');
    const common = ['status', '-z', '--untracked-files=all'];
    const v1 = parseStatus(await repo.git([...common, '--porcelain=v1']));
    const v2 = parseStatusV2(await repo.git([...common, '--porcelain=v2'])).lines;
    expect(v1.length).toBe(7);
    expect(v1.some((l) => l.startsWith('UU '))).toBe(true);
    expect(v1.some((l) => l.startsWith('R'))).toBe(true);
    // The same lines; v2 lists unmerged entries after the others.
    expect([...v2].sort()).toEqual([...v1].sort());
  });

  it('keeps an entry of a kind it does not know: it still counts as a change', () => {
    expect(parseStatusV2('# branch.oid (initial)\0# branch.head (detached)\0z something new\0? a b\0').lines).toEqual(['z something new', '?? a b']);
  });
});

describe("a worktree lane's files and counts from one status", () => {
  let lane: string;
  let ctx: ReturnType<typeof createContext>;
  const reader = (sharesMainRefs = true) => hostReader(ctx, { workTree: lane, gitDir: path.join(repo.root, '.git', 'worktrees', 'x'), sharesMainRefs });

  beforeEach(async () => {
    ctx = createContext({ cwd: repo.root, env: repo.env });
    lane = path.join(repo.dir, 'x');
    await repo.git(['worktree', 'add', '-q', '-b', 'lane/x', lane, 'main']);
    await commitFile(repo, lane, 'a.txt', 'a');
    await commitFile(repo, lane, 'b.txt', 'b');
    await commitFile(repo, repo.root, 'c.txt', 'c');
    await write('dirty.txt', 'dirty', lane);
  });

  it('counts the lane against its base as rev-list does, and lists its files as dirtyFiles does', async () => {
    const config = await fsp.readFile(path.join(repo.root, '.git', 'config'), 'utf8');
    const { files, counts } = await filesAndCounts(reader(), 'lane/x', 'main');
    const tip = (await repo.git(['rev-parse', 'refs/heads/lane/x'])).trim();
    const [behind, ahead] = (await repo.git(['rev-list', '--left-right', '--count', 'main...lane/x'])).trim().split(/\s+/).map(Number);
    expect(counts).toEqual({ oid: tip, ahead, behind });
    expect([ahead, behind]).toEqual([2, 1]);
    expect(files).toEqual(await dirtyFiles(reader()));
    expect(files).toEqual(['?? dirty.txt']);
    // The upstream was given on the command line only.
    expect(await fsp.readFile(path.join(repo.root, '.git', 'config'), 'utf8')).toBe(config);
  });

  it('gives no counts where they would not be the base\'s: another upstream, another branch, a lane of its own refs', async () => {
    await repo.git(['config', 'branch.lane/x.remote', '.']);
    await repo.git(['config', 'branch.lane/x.merge', 'refs/heads/other']);
    await repo.git(['branch', 'other', 'main~1']);
    expect((await filesAndCounts(reader(), 'lane/x', 'main')).counts).toBeUndefined();
    await repo.git(['config', '--remove-section', 'branch.lane/x']);
    expect((await filesAndCounts(reader(), 'lane/x', 'main')).counts).toBeDefined();
    await repo.git(['checkout', '-q', '--detach'], lane);
    expect((await filesAndCounts(reader(), 'lane/x', 'main')).counts).toBeUndefined();
    await repo.git(['checkout', '-q', 'lane/x'], lane);
    const own = await filesAndCounts(reader(false), 'lane/x', 'main');
    expect(own.counts).toBeUndefined();
    expect(own.files).toEqual(['?? dirty.txt']);
  });
});

describe('the base branch from the HEAD file', () => {
  it('is what git symbolic-ref says, and nothing when HEAD is detached', async () => {
    await repo.git(['checkout', '-q', '-b', 'feature/one']);
    expect(await headBranchFromFile(path.join(repo.root, '.git'))).toBe((await repo.git(['symbolic-ref', '--short', 'HEAD'])).trim());
    await repo.git(['checkout', '-q', '--detach']);
    expect(await headBranchFromFile(path.join(repo.root, '.git'))).toBeUndefined();
  });
});
