// @module-tag slow (every reading command against lanes of two strategies): the full suite only, not `npm run test:fast`
/**
 * "Reading is reading": ls, path and policy explain change no ref, no file, no container, whatever
 * state the lanes are in. The whole main checkout (its .git included) and the lanes root are
 * compared before and after, down to modification times.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFile, makeRepo, type TestRepo } from '../helpers/repo.js';
import { stateSnapshot } from '../helpers/state.js';

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

describe('commands that read change nothing', () => {
  beforeEach(async () => {
    repo = await makeRepo();
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'workloads:\n  default:\n    agents: 2\n');
    await repo.git(['add', 'isolane.yaml']);
    await repo.git(['commit', '-q', '-m', 'config']);
    for (const [lane, strategy] of [['w', 'worktree'], ['c', 'clone']] as const) {
      const r = await repo.cli(['up', lane, '--strategy', strategy]);
      expect(r.code, r.stderr).toBe(0);
      const dir = path.join(repo.lanesRoot, lane);
      // Work of every kind, none of it brought home: commits, a stash, a dirty file, racy stat data.
      await commitFile(repo, dir, `${lane}.txt`, lane, `work in ${lane}`);
      await fsp.writeFile(path.join(dir, 'README.md'), 'stash me\n');
      await repo.git(['stash', '-q'], dir);
      await fsp.writeFile(path.join(dir, 'dirty.txt'), 'dirty');
      await fsp.utimes(path.join(dir, 'README.md'), new Date(), new Date());
    }
  });

  it('ls, ls --json, path and policy explain leave every ref, file and mtime as it was', async () => {
    // A reviewer's commit on the clone lane's branch in the main repository: ls once threw it away.
    const fixup = await repo.git(['commit-tree', '-m', 'reviewer fix-up', '-p', 'main', 'main^{tree}']);
    await repo.git(['update-ref', 'refs/heads/isolane/c', fixup.trim()]);
    const before = await stateSnapshot(repo);
    for (const argv of [['ls'], ['ls', '--json'], ['path', 'w'], ['path', 'c'], ['policy', 'explain'], ['policy', 'explain', '--json'], ['ls']]) {
      const r = await repo.cli(argv);
      expect(r.code, `isolane ${argv.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const after = await stateSnapshot(repo);
    expect(after.refs).toBe(before.refs);
    expect(after.files).toEqual(before.files);
    expect((await repo.git(['rev-parse', 'refs/heads/isolane/c'])).trim()).toBe(fixup.trim());
  });

  it('ls still sees what the lanes hold: dirty files and commits ahead, from the lanes themselves', async () => {
    const lanes = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; dirty: number; ahead: number; merged: boolean }>;
    expect(lanes.map((l) => [l.lane, l.dirty, l.ahead, l.merged])).toEqual([
      ['c', 1, 1, false],
      ['w', 1, 1, false],
    ]);
  });
});
