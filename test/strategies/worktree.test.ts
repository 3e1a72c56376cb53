/**
 * The worktree strategy: the contract (its lanes share the main repository's refs, so a stash or
 * a branch made in a lane is already the main repository's), and what only a worktree lane has:
 * a registered worktree, a branch that lives in the main repository from the start.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Isolane } from '../../src/index.js';
import { contractSuite } from '../contract/suite.js';
import { expectReadyLane, headOid, killCli, laneFacts, spawnCli, waitGroupGone } from '../helpers/crash.js';
import { commitFile, makeRepo } from '../helpers/repo.js';

await contractSuite('worktree', { refs: 'shared', concurrentLanes: 16 });

describe('worktree lanes', () => {
  it('up registers a worktree on the lane branch, made in the main repository with no upstream', async () => {
    const repo = await makeRepo();
    try {
      const oid = await headOid(repo);
      expect((await repo.cli(['up', 'a'])).code).toBe(0);
      await expectReadyLane(repo, 'a', oid);
      // --no-track: no upstream config was written for the lane branch
      expect(await repo.git(['config', '--get-regexp', '^branch\\.isolane/']).catch(() => '')).toBe('');
      expect((await repo.cli(['down', 'a'])).code).toBe(0);
      expect(await repo.git(['worktree', 'list', '--porcelain'])).not.toContain(path.join(repo.lanesRoot, 'a'));
    } finally {
      await repo.cleanup();
    }
  });

  it('a kill at up:journaled leaves only the record; at up:created, a registered worktree on its branch; at down:removing, all of it', async () => {
    const repo = await makeRepo();
    try {
      for (const [checkpoint, made] of [['up:journaled', false], ['up:created', true]] as const) {
        const p = spawnCli(repo, ['up', 'crashy'], { ISOLANE_TEST_CHECKPOINT: checkpoint });
        await p.waitForStderr(new RegExp(`^checkpoint ${checkpoint}$`, 'm'));
        await killCli(p);
        await waitGroupGone(p.pid);
        const f = await laneFacts(repo, 'crashy');
        expect(f.record?.state, checkpoint).toBe('creating');
        expect(f.worktree !== undefined, `${checkpoint}: worktree registered`).toBe(made);
        expect(f.branchOid !== undefined, `${checkpoint}: branch made`).toBe(made);
        expect(f.adminDir, `${checkpoint}: git's admin directory`).toBe(made);
        expect((await repo.cli(['down', 'crashy'])).code).toBe(0);
      }
      const oid = await headOid(repo);
      expect((await repo.cli(['up', 'going'])).code).toBe(0);
      const p = spawnCli(repo, ['down', 'going'], { ISOLANE_TEST_CHECKPOINT: 'down:removing' });
      await p.waitForStderr(/^checkpoint down:removing$/m);
      await killCli(p);
      await waitGroupGone(p.pid);
      const f = await laneFacts(repo, 'going');
      expect([f.record?.state, f.worktree?.branch, f.branchOid, f.dir]).toEqual(['removing', 'refs/heads/isolane/going', oid, true]);
      expect((await repo.cli(['down', 'going'])).code).toBe(0);
    } finally {
      await repo.cleanup();
    }
  });

  it('down never deletes a branch that moved after it was checked (compare-and-swap)', async () => {
    const repo = await makeRepo();
    try {
      const iso = await Isolane.open({ cwd: repo.root, env: repo.env });
      const lane = await iso.up('a');
      let landed = '';
      const racing = await Isolane.open({
        cwd: repo.root,
        env: repo.env,
        // Between the safety check and the branch deletion, a commit lands on the lane's branch.
        checkpoint: async (name) => {
          if (name === 'down:removing') landed = await commitFile(repo, lane.path, 'late.txt', 'late', 'landed meanwhile');
        },
      });
      const report = await racing.down('a');
      expect(report.deletedBranch).toBeUndefined();
      expect(report.keptBranch?.reason).toMatch(/moved/);
      expect((await repo.git(['rev-parse', 'refs/heads/isolane/a'])).trim()).toBe(landed);
    } finally {
      await repo.cleanup();
    }
  });
});
