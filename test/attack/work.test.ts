// @module-tag slow (every ref namespace and submodules): the full suite only, not `npm run test:fast`
/**
 * "Work is everything a lane holds": a lane is removed only when nothing it holds would be lost,
 * whatever the ref namespace or name, every stash entry, or a submodule. Attacked through the
 * CLI, as an agent and a careless user would. (Each kind of work, for every strategy, the
 * detached checkout included: the contract, test/contract/work.ts.)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const lanePath = (lane: string): string => path.join(repo.lanesRoot, lane);
const refOid = async (ref: string): Promise<string | undefined> => (await repo.git(['for-each-ref', '--format=%(objectname)', ref])).trim() || undefined;

async function up(lane: string, strategy: string): Promise<string> {
  const r = await repo.cli(['up', lane, '--strategy', strategy]);
  expect(r.code, r.stderr).toBe(0);
  return lanePath(lane);
}

/** `down` refuses with exit 3, names `expected` in its message, and leaves the lane as it was. */
async function expectRefused(lane: string, expected: readonly string[]): Promise<void> {
  const before = await fsp.readdir(lanePath(lane));
  const r = await repo.cli(['down', lane]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
  for (const e of expected) expect(r.stderr).toContain(e);
  expect(await fsp.readdir(lanePath(lane))).toEqual(before);
  const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string }>;
  expect(ls.find((l) => l.lane === lane)?.state).toBe('ready');
}

/** `down --force` removes the lane and keeps every discarded commit under the namespace it names. */
async function forceAndRecover(lane: string, oids: readonly string[]): Promise<string> {
  const r = await repo.cli(['down', lane, '--force', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as { discarded: { keptUnder: string; commits: Array<{ oid: string }> } };
  expect(await exists(lanePath(lane))).toBe(false);
  expect(report.discarded.keptUnder).toMatch(new RegExp(`^refs/isolane/discarded/${lane}/`));
  const kept = await repo.git(['for-each-ref', '--format=%(objectname)', `${report.discarded.keptUnder}/`]);
  for (const oid of oids) {
    expect(report.discarded.commits.map((c) => c.oid)).toContain(oid);
    // Reachable from what was kept, so recoverable and never pruned.
    const reachable = await repo.git(['rev-list', ...kept.split('\n').filter(Boolean)]);
    expect(reachable).toContain(oid);
  }
  expect(await repo.git(['for-each-ref', `refs/isolane/lanes/${lane}/`])).toBe('');
  return report.discarded.keptUnder;
}

describe('clone lane: every ref namespace, every name, every stash entry', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  it('a stash (the reported case) blocks removal; --force keeps it where `git stash apply` finds it', async () => {
    const dir = await up('c1', 'clone');
    await fsp.writeFile(path.join(dir, 'README.md'), 'stashed change\n');
    await repo.git(['stash', '--quiet'], dir);
    const stash = (await repo.git(['rev-parse', 'refs/stash'], dir)).trim();
    await expectRefused('c1', ['stash@{0}', 'WIP on isolane/c1']);
    const kept = await forceAndRecover('c1', [stash]);
    expect(await repo.git(['show', `${kept}/stash/0:README.md`])).toBe('stashed change\n');
  });

  it('every stash entry counts, not only the newest', async () => {
    const dir = await up('c2', 'clone');
    const entries: string[] = [];
    for (const n of [1, 2, 3]) {
      await fsp.writeFile(path.join(dir, 'README.md'), `change ${n}\n`);
      await repo.git(['stash', 'push', '--quiet', '-m', `entry ${n}`], dir);
      entries.push((await repo.git(['rev-parse', 'refs/stash'], dir)).trim());
    }
    await expectRefused('c2', ['stash@{0}', 'stash@{1}', 'stash@{2}', 'entry 1', 'entry 2', 'entry 3']);
    await forceAndRecover('c2', entries);
  });

  it('a commit held only by a tag, by notes, or by a branch of any name git allows', async () => {
    const dir = await up('c3', 'clone');
    const base = (await repo.git(['rev-parse', 'HEAD'], dir)).trim();
    const tagged = await commitFile(repo, dir, 'tagged.txt', 't', 'only tagged');
    await repo.git(['tag', '-a', '-m', 'release', 'v9'], dir);
    await repo.git(['reset', '-q', '--hard', base], dir);
    await repo.git(['notes', 'add', '-m', 'a note only the lane has', base], dir);
    const noteCommit = (await repo.git(['rev-parse', 'refs/notes/commits'], dir)).trim();
    const odd: Record<string, string> = {};
    for (const name of ['feat/ünïcode', 'fix#12', 'a,b+c=d', 'x@y', 'very/deep/nested/branch']) {
      await repo.git(['checkout', '-q', '-b', name, base], dir);
      odd[name] = await commitFile(repo, dir, `${name.replace(/\W/g, '_')}.txt`, name, `work on ${name}`);
    }
    await repo.git(['checkout', '-q', 'isolane/c3'], dir);
    await expectRefused('c3', ['only tagged', 'tag v9', 'Notes added by', ...Object.keys(odd).map((n) => `work on ${n}`), ...Object.keys(odd)]);
    await forceAndRecover('c3', [tagged, noteCommit, ...Object.values(odd)]);
  });

  it('a clean lane whose commits are all held elsewhere goes with a plain down', async () => {
    const dir = await up('c4', 'clone');
    await repo.git(['stash', 'list'], dir);
    const r = await repo.cli(['down', 'c4']);
    expect(r.code, r.stderr).toBe(0);
    expect(await exists(dir)).toBe(false);
    expect(await repo.git(['for-each-ref', 'refs/isolane/'])).toBe('');
  });

  it("a reviewer's fix-up on the lane branch in the main repository is never rewound, and blocks a plain down", async () => {
    const dir = await up('c5', 'clone');
    const laneWork = await commitFile(repo, dir, 'lane.txt', 'l', 'lane work');
    // The lane's work comes home deliberately; then a reviewer adds a commit on top, in the main repository.
    expect((await repo.cli(['fetch', 'c5'])).code).toBe(0);
    expect(await refOid('refs/heads/isolane/c5')).toBe(laneWork);
    await repo.git(['checkout', '-q', 'isolane/c5']);
    const fixup = await commitFile(repo, repo.root, 'fixup.txt', 'f', 'reviewer fix-up');
    await repo.git(['checkout', '-q', 'main']);
    // Reading never moves it; fetching again leaves it (the lane is behind, nothing is lost).
    expect((await repo.cli(['ls'])).code).toBe(0);
    expect(await refOid('refs/heads/isolane/c5')).toBe(fixup);
    const again = await repo.cli(['fetch', 'c5']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('ahead of the lane');
    expect(await refOid('refs/heads/isolane/c5')).toBe(fixup);
    await expectRefused('c5', ['reviewer fix-up']);
    // Both moved: fetch stops and says so, moving nothing.
    const other = await commitFile(repo, dir, 'more.txt', 'm', 'more lane work');
    const diverged = await repo.cli(['fetch', 'c5']);
    expect(diverged.code).toBe(1);
    expect(diverged.stderr).toMatch(/moved both in lane c5/);
    expect(await refOid('refs/heads/isolane/c5')).toBe(fixup);
    expect(await refOid('refs/isolane/lanes/c5/refs/heads/isolane/c5')).toBe(other);
    await expectRefused('c5', ['more lane work', 'reviewer fix-up']);
  });
});

describe('submodules', () => {
  let subUpstream: string;
  beforeEach(async () => {
    repo = await makeRepo();
    // Local submodule clones need the file protocol, which git allows only when told.
    await fsp.appendFile(path.join(repo.env.HOME!, '.gitconfig'), '[protocol "file"]\n\tallow = always\n');
    subUpstream = path.join(repo.dir, 'sub-upstream.git');
    const subWork = path.join(repo.dir, 'sub-work');
    await repo.git(['init', '-q', '-b', 'main', subWork], repo.dir);
    await commitFile(repo, subWork, 'lib.txt', 'lib v1\n', 'lib v1');
    await repo.git(['clone', '-q', '--bare', subWork, subUpstream], repo.dir);
    await repo.git(['submodule', 'add', '-q', subUpstream, 'lib']);
    await repo.git(['commit', '-q', '-m', 'add lib']);
  });

  for (const strategy of ['worktree', 'clone'] as const) {
    it(`${strategy}: a clean lane with an initialized submodule goes with a plain down`, async () => {
      const dir = await up('s1', strategy);
      await repo.git(['submodule', 'update', '--init', '-q'], dir);
      expect(await exists(path.join(dir, 'lib', 'lib.txt'))).toBe(true);
      const r = await repo.cli(['down', 's1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/cannot be moved or removed/);
      expect(await exists(dir)).toBe(false);
    });

    it(`${strategy}: a submodule commit its remote lacks, or changed files in it, block removal and are listed`, async () => {
      const dir = await up('s2', strategy);
      await repo.git(['submodule', 'update', '--init', '-q'], dir);
      const sub = path.join(dir, 'lib');
      await repo.git(['checkout', '-q', '-b', 'topic'], sub);
      const unpushed = await commitFile(repo, sub, 'lib.txt', 'lib v2\n', 'unpushed lib change');
      await expectRefused('s2', ['submodule lib', unpushed.slice(0, 12), 'unpushed lib change', ' M lib']);
      // Pushed, the commit is safe; a changed file in the submodule still blocks.
      await repo.git(['push', '-q', 'origin', 'topic'], sub);
      await repo.git(['checkout', '-q', '--detach', 'origin/main'], sub);
      await fsp.writeFile(path.join(sub, 'scratch.txt'), 'wip');
      await expectRefused('s2', [' M lib']);
      const r = await repo.cli(['down', 's2', '--force']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(' M lib');
      expect(await exists(dir)).toBe(false);
    });
  }
});
