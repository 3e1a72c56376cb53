/**
 * The repository found without a git process (src/git/discover.ts) is git's own answer in the
 * plain case, and no answer (ask git) in every other: checked against real git in real layouts.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plainCommonDir } from '../../src/git/discover.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
});

const gitAnswer = async (cwd: string): Promise<string> => (await repo.git(['rev-parse', '--path-format=absolute', '--git-common-dir'], cwd)).trim();

describe('plainCommonDir', () => {
  it("is git's answer from the top, a subdirectory, a nested repository and through a symlink", async () => {
    const nested = path.join(repo.root, 'src', 'vendored');
    await fsp.mkdir(nested);
    await repo.git(['init', '--quiet'], nested);
    const link = path.join(repo.dir, 'link');
    await fsp.symlink(repo.root, link);
    for (const cwd of [repo.root, path.join(repo.root, 'src'), nested, path.join(link, 'src')]) {
      const found = await plainCommonDir(cwd);
      expect(found, cwd).toBeDefined();
      expect(found).toBe(await gitAnswer(cwd));
    }
  });

  it('leaves linked worktrees, the git directory itself, bare repositories and broken .git directories to git', async () => {
    const wt = path.join(repo.dir, 'wt');
    await repo.git(['worktree', 'add', '--quiet', wt]);
    const bare = path.join(repo.dir, 'bare.git');
    await repo.git(['clone', '--quiet', '--bare', repo.root, bare], repo.dir);
    const broken = path.join(repo.dir, 'broken');
    await fsp.mkdir(path.join(broken, '.git'), { recursive: true }); // no HEAD, objects or refs: git looks further up
    for (const cwd of [wt, path.join(repo.root, '.git'), path.join(repo.root, '.git', 'refs'), bare, broken]) {
      expect(await plainCommonDir(cwd), cwd).toBeUndefined();
    }
  });

  it('finds nothing outside a repository, and nothing for a directory that is not there', async () => {
    expect(await plainCommonDir(repo.dir)).toBeUndefined();
    expect(await plainCommonDir(path.join(repo.dir, 'gone'))).toBeUndefined();
  });

  it('the CLI works from a linked worktree and a subdirectory alike (git answers the one, isolane the other)', async () => {
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    const wt = path.join(repo.dir, 'wt');
    await repo.git(['worktree', 'add', '--quiet', wt]);
    for (const cwd of [path.join(repo.root, 'src'), wt]) {
      const r = await repo.cli(['path', 'a'], { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(path.join(repo.lanesRoot, 'a'));
    }
  });
});
