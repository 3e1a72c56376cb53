/**
 * `isolane sync`, for real: an upstream bare repository whose upload-pack counts the fetches made
 * of it, lanes with commits, conflicts, uncommitted work and lockfile changes, and kills mid-rebase.
 * Facts come from git and the files themselves, never from isolane's own report alone.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exists as pathExists } from '../helpers/repo.js';
import { killCli, killGroup, spawnCli, waitGroupGone } from '../helpers/crash.js';
import { kernelMissing } from '../helpers/snapshot.js';
import { commitFile, makeRepo, type TestRepo } from '../helpers/repo.js';

const noSnapshot = await kernelMissing('sync.test.ts');

let repo: TestRepo;
const groups: number[] = [];
/** A clone of the upstream where "other people" commit and push. */
let other: string;
let counter: string;

beforeEach(async () => {
  repo = await makeRepo({ withOrigin: true, files: { 'README.md': '# fixture\n', 'src/app.js': 'console.log("app");\n', 'package-lock.json': '{"lockfileVersion":3}\n', '.gitignore': 'isolane.yaml\n' } });
  await repo.git(['branch', '--quiet', '--set-upstream-to=origin/main', 'main']);
  // A real upload-pack that first counts itself: every fetch from the upstream adds one line.
  counter = path.join(repo.dir, 'fetches');
  const script = path.join(repo.dir, 'counting-upload-pack');
  await fsp.writeFile(script, `#!/bin/sh\necho fetch >> '${counter}'\nexec git-upload-pack "$@"\n`, { mode: 0o755 });
  await repo.git(['config', 'remote.origin.uploadpack', script]);
  other = path.join(repo.dir, 'other');
  await repo.git(['clone', '--quiet', path.join(repo.dir, 'upstream.git'), other], repo.dir);
});

afterEach(async () => {
  for (const g of groups.splice(0)) killGroup(g);
  await repo.cleanup();
});

const fetches = async (): Promise<number> => (await fsp.readFile(counter, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
const lanePath = (lane: string): string => path.join(repo.lanesRoot, lane);
const branchOid = async (lane: string): Promise<string> => (await repo.git(['rev-parse', `refs/heads/isolane/${lane}`])).trim();
const contains = async (lane: string, oid: string): Promise<boolean> =>
  repo.git(['merge-base', '--is-ancestor', oid, `refs/heads/isolane/${lane}`]).then(() => true, () => false);

async function up(lane: string, extra: readonly string[] = []): Promise<void> {
  const r = await repo.cli(['up', lane, ...extra]);
  expect(r.code, r.stderr).toBe(0);
}

/** Someone else pushes a commit to the upstream; returns its id. */
async function pushUpstream(files: Record<string, string>, message = 'upstream change'): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(other, file)), { recursive: true });
    await fsp.writeFile(path.join(other, file), content);
  }
  await repo.git(['add', '-A'], other);
  await repo.git(['commit', '--quiet', '-m', message], other);
  await repo.git(['push', '--quiet', 'origin', 'HEAD:main'], other);
  return (await repo.git(['rev-parse', 'HEAD'], other)).trim();
}

/** Everything of a lane a rollback must keep byte for byte: branch, HEAD, index bytes, every file's bytes and mode. */
async function laneBytes(lane: string): Promise<Record<string, string>> {
  const dir = lanePath(lane);
  const gitDir = path.join(repo.root, '.git', 'worktrees', lane);
  const facts: Record<string, string> = {
    branch: await branchOid(lane),
    head: (await fsp.readFile(path.join(gitDir, 'HEAD'), 'utf8')).trim(),
    index: createHash('sha256').update(await fsp.readFile(path.join(gitDir, 'index'))).digest('hex'),
  };
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      if (r === '.git') continue;
      const st = await fsp.lstat(path.join(dir, r));
      if (entry.isDirectory()) {
        facts[`${r}/`] = `dir ${(st.mode & 0o7777).toString(8)}`;
        await walk(r);
      } else {
        facts[r] = `${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(await fsp.readFile(path.join(dir, r))).digest('hex')}`;
      }
    }
  };
  await walk('');
  return facts;
}

interface LaneJson {
  lane: string;
  result: string;
  reason?: string;
  files?: string[];
  from?: string;
  to?: string;
  commits?: number;
  recovered?: string;
  setup?: { ok: boolean };
}
interface ReportJson {
  dryRun: boolean;
  bases: Array<{ base: string; remote?: string; fetched: boolean; ref?: string; oid?: string }>;
  lanes: LaneJson[];
}

async function syncJson(args: readonly string[], expectCode: number): Promise<ReportJson> {
  const r = await repo.cli(['sync', ...args, '--json']);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(expectCode);
  return JSON.parse(r.stdout) as ReportJson;
}
const byLane = (report: ReportJson): Record<string, LaneJson> => Object.fromEntries(report.lanes.map((l) => [l.lane, l]));

describe('isolane sync', () => {
  it('--all with one conflicting lane among four: the others are rebased, the conflicting one is byte for byte as before, one fetch', async () => {
    for (const lane of ['a', 'b', 'c', 'd']) await up(lane);
    await commitFile(repo, lanePath('a'), 'a.txt', 'lane a\n');
    await commitFile(repo, lanePath('b'), 'README.md', '# lane b rewrote this\n');
    await commitFile(repo, lanePath('c'), 'src/c.js', 'c\n');
    await fsp.chmod(path.join(lanePath('b'), 'src/app.js'), 0o755);
    await repo.git(['commit', '--quiet', '-am', 'b: executable'], lanePath('b'));
    const upstream = await pushUpstream({ 'README.md': '# upstream rewrote this\n', 'docs/new.md': 'new\n' });
    const before = await laneBytes('b');
    const aWas = await branchOid('a');

    const report = await syncJson(['--all'], 6);
    expect(await fetches()).toBe(1);
    const lanes = byLane(report);
    expect(report.bases).toMatchObject([{ base: 'main', remote: 'origin', fetched: true, ref: 'refs/remotes/origin/main', oid: upstream }]);
    expect(lanes.a).toMatchObject({ result: 'rebased', from: aWas, commits: 1 });
    expect(lanes.c).toMatchObject({ result: 'rebased', commits: 1 });
    expect(lanes.d).toMatchObject({ result: 'rebased', commits: 0 });
    expect(lanes.b).toMatchObject({ result: 'conflict', files: ['README.md'], rolledBack: true });
    for (const lane of ['a', 'c', 'd']) {
      expect(await contains(lane, upstream), `${lane} contains the upstream commit`).toBe(true);
      expect(await fsp.readFile(path.join(lanePath(lane), 'docs/new.md'), 'utf8'), `${lane} checkout`).toBe('new\n');
      expect(await repo.git(['status', '--porcelain'], lanePath(lane))).toBe('');
    }
    expect(lanes.a?.to).toBe(await branchOid('a'));
    expect(await laneBytes('b')).toEqual(before);
    expect(await pathExists(path.join(repo.root, '.git', 'worktrees', 'b', 'rebase-merge'))).toBe(false);
    expect(await fsp.readdir(path.join(repo.root, '.git', 'isolane', 'sync')).catch(() => [])).toEqual([]);
  });

  it('--all over ten lanes fetches exactly once', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `l${i}`);
    for (const lane of names) await up(lane);
    for (const lane of names.slice(0, 5)) await commitFile(repo, lanePath(lane), `${lane}.txt`, `${lane}\n`);
    const upstream = await pushUpstream({ 'up.txt': 'up\n' });
    const report = await syncJson(['--all'], 0);
    expect(await fetches()).toBe(1);
    expect(report.lanes.map((l) => l.result)).toEqual(names.map(() => 'rebased'));
    for (const lane of names) expect(await contains(lane, upstream)).toBe(true);
    // Once more: nothing new upstream, so every lane is up to date (and one more fetch).
    const again = await syncJson(['--all'], 0);
    expect(again.lanes.map((l) => l.result)).toEqual(names.map(() => 'up-to-date'));
    expect(await fetches()).toBe(2);
  });

  it('--dry-run names the conflicting lane and its files and moves nothing', async () => {
    for (const lane of ['a', 'b']) await up(lane);
    await commitFile(repo, lanePath('a'), 'a.txt', 'a\n');
    await commitFile(repo, lanePath('b'), 'src/app.js', 'console.log("b");\n');
    await pushUpstream({ 'src/app.js': 'console.log("upstream");\n' });
    const refsBefore = await repo.git(['for-each-ref']);
    const [aBefore, bBefore] = [await laneBytes('a'), await laneBytes('b')];

    const report = await syncJson(['--all', '--dry-run'], 6);
    expect(report.dryRun).toBe(true);
    expect(byLane(report)).toMatchObject({ a: { result: 'would-rebase', commits: 1 }, b: { result: 'conflict', files: ['src/app.js'], rolledBack: false } });
    expect(await repo.git(['for-each-ref'])).toBe(refsBefore);
    expect(await laneBytes('a')).toEqual(aBefore);
    expect(await laneBytes('b')).toEqual(bBefore);
    expect(await fetches()).toBe(1);
    const text = await repo.cli(['sync', 'b', '--dry-run']);
    expect(text.code).toBe(6);
    expect(text.stdout).toMatch(/^b\s+would conflict; files: src\/app\.js$/m);
  });

  it('skips a lane with uncommitted work or off its branch, with the reason, untouched', async () => {
    for (const lane of ['dirty', 'untracked', 'detached', 'clean']) await up(lane);
    await fsp.writeFile(path.join(lanePath('dirty'), 'README.md'), '# edited, not committed\n');
    await fsp.writeFile(path.join(lanePath('untracked'), 'notes.txt'), 'mine\n');
    await repo.git(['checkout', '--quiet', '--detach'], lanePath('detached'));
    const upstream = await pushUpstream({ 'up.txt': 'up\n' });
    const before = { dirty: await laneBytes('dirty'), untracked: await laneBytes('untracked'), detached: await laneBytes('detached') };

    const lanes = byLane(await syncJson(['dirty', 'untracked', 'detached', 'clean'], 0));
    expect(lanes.dirty).toMatchObject({ result: 'skipped', reason: expect.stringContaining('uncommitted work (1 file: README.md)') as unknown });
    expect(lanes.untracked).toMatchObject({ result: 'skipped', reason: expect.stringContaining('notes.txt') as unknown });
    expect(lanes.detached).toMatchObject({ result: 'skipped', reason: expect.stringContaining('HEAD is detached') as unknown });
    expect(lanes.clean).toMatchObject({ result: 'rebased' });
    expect(await contains('clean', upstream)).toBe(true);
    expect({ dirty: await laneBytes('dirty'), untracked: await laneBytes('untracked'), detached: await laneBytes('detached') }).toEqual(before);
  });

  it("reruns the set-up of a lane whose lockfile the rebase changed, and only of that lane", async () => {
    const marks = path.join(repo.dir, 'marks');
    await fsp.mkdir(marks);
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), `setup:\n  - [sh, -c, 'echo ran >> "${marks}/$ISOLANE_LANE"']\n`);
    for (const lane of ['changes', 'same']) await up(lane);
    const newLock = '{"lockfileVersion":3,"packages":{"x":{}}}\n';
    // Lane `same` already has the lockfile upstream is about to get: its rebase leaves it as it is.
    await fsp.writeFile(path.join(lanePath('same'), 'package-lock.json'), newLock);
    await fsp.writeFile(path.join(lanePath('same'), 'same.txt'), 'same\n');
    await repo.git(['add', '-A'], lanePath('same'));
    await repo.git(['commit', '--quiet', '-m', 'same: lockfile'], lanePath('same'));
    await commitFile(repo, lanePath('changes'), 'changes.txt', 'changes\n');
    await pushUpstream({ 'package-lock.json': newLock });
    const runs = async (lane: string): Promise<number> => (await fsp.readFile(path.join(marks, lane), 'utf8')).split('\n').filter(Boolean).length;
    expect([await runs('changes'), await runs('same')]).toEqual([1, 1]);

    const lanes = byLane(await syncJson(['--all'], 0));
    expect(lanes.changes).toMatchObject({ result: 'rebased', setup: { ok: true } });
    expect(lanes.same).toMatchObject({ result: 'rebased' });
    expect(lanes.same?.setup).toBeUndefined();
    expect([await runs('changes'), await runs('same')]).toEqual([2, 1]);
    expect(await fsp.readFile(path.join(lanePath('changes'), 'package-lock.json'), 'utf8')).toBe(newLock);
  });

  it('a set-up that fails after the rebase: the lane stays rebased, listed as setup-failed, and sync exits 5', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), "setup:\n  - [sh, -c, 'if grep -q broken package-lock.json; then echo broken >&2; exit 3; fi']\n");
    await up('a');
    const upstream = await pushUpstream({ 'package-lock.json': '{"lockfileVersion":3,"broken":true}\n' });
    const report = await syncJson(['a'], 5);
    expect(byLane(report).a).toMatchObject({ result: 'rebased', setup: { ok: false } });
    expect(await contains('a', upstream)).toBe(true);
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string }>;
    expect(ls.find((l) => l.lane === 'a')?.state).toBe('setup-failed');
  });

  it('bad input: an unknown lane is a clear error that fetches and changes nothing; no lane and no --all is a usage error', async () => {
    await up('a');
    await pushUpstream({ 'up.txt': 'up\n' });
    const refsBefore = await repo.git(['for-each-ref']);
    const unknown = await repo.cli(['sync', 'a', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no lane named nope');
    const invalid = await repo.cli(['sync', '../x']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('invalid lane name');
    const none = await repo.cli(['sync']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no lane given');
    const both = await repo.cli(['sync', 'a', '--all']);
    expect(both.code).toBe(2);
    expect(await repo.git(['for-each-ref'])).toBe(refsBefore);
    expect(await fetches()).toBe(0);
  });

  it('a base without an upstream: nothing is fetched, lanes are rebased onto the local base, and the report says so', async () => {
    await repo.git(['branch', '--quiet', '--unset-upstream', 'main']);
    await up('a');
    await commitFile(repo, lanePath('a'), 'a.txt', 'a\n');
    const local = await commitFile(repo, repo.root, 'local.txt', 'local\n');
    const report = await syncJson(['a'], 0);
    expect(report.bases).toMatchObject([{ base: 'main', fetched: false, ref: 'refs/heads/main', oid: local }]);
    expect(await fetches()).toBe(0);
    expect(byLane(report).a).toMatchObject({ result: 'rebased' });
    expect(await contains('a', local)).toBe(true);
    const text = await repo.cli(['sync', 'a']);
    expect(text.stdout).toContain('main has no upstream remote: nothing fetched');
  });

  it('two syncs of different lanes at once both rebase their lane', async () => {
    for (const lane of ['p', 'q']) await up(lane);
    await commitFile(repo, lanePath('p'), 'p.txt', 'p\n');
    await commitFile(repo, lanePath('q'), 'q.txt', 'q\n');
    const upstream = await pushUpstream({ 'up.txt': 'up\n' });
    const [p, q] = await Promise.all([repo.cli(['sync', 'p', '--json']), repo.cli(['sync', 'q', '--json'])]);
    expect([p.code, q.code], `${p.stderr}${q.stderr}`).toEqual([0, 0]);
    expect((JSON.parse(p.stdout) as ReportJson).lanes[0]).toMatchObject({ lane: 'p', result: 'rebased' });
    expect((JSON.parse(q.stdout) as ReportJson).lanes[0]).toMatchObject({ lane: 'q', result: 'rebased' });
    expect([await contains('p', upstream), await contains('q', upstream)]).toEqual([true, true]);
    expect(await repo.git(['log', '--format=%s', '-1', 'refs/heads/isolane/p'])).toBe('add p.txt\n');
  });

  it('kill -9 with the lane mid-rebase: the next sync aborts it and the lane is exactly as before', async () => {
    await up('k');
    await commitFile(repo, lanePath('k'), 'README.md', '# lane k\n');
    await commitFile(repo, lanePath('k'), 'k.txt', 'k\n');
    await pushUpstream({ 'README.md': '# upstream\n' });
    const before = await laneBytes('k');
    const p = spawnCli(repo, ['sync', 'k'], { ISOLANE_TEST_CHECKPOINT: 'sync:conflicted' });
    groups.push(p.pid);
    await p.waitForStderr(/^checkpoint sync:conflicted$/m);
    await killCli(p);
    await waitGroupGone(p.pid);
    // Killed mid-rebase: git's rebase state is there, the checkout is not the lane's branch.
    expect(await pathExists(path.join(repo.root, '.git', 'worktrees', 'k', 'rebase-merge'))).toBe(true);
    expect(await laneBytes('k')).not.toEqual(before);

    const report = await syncJson(['k'], 6);
    expect(byLane(report).k).toMatchObject({ result: 'conflict', recovered: expect.stringContaining('rolled back a sync interrupted mid-rebase') as unknown });
    expect(await laneBytes('k')).toEqual(before);
    expect(await pathExists(path.join(repo.root, '.git', 'worktrees', 'k', 'rebase-merge'))).toBe(false);
  });

  it('when git rebase --abort does not put the lane back (its rebase state tampered with), isolane restores it explicitly and says so', async () => {
    await up('t');
    await commitFile(repo, lanePath('t'), 'README.md', '# lane t\n');
    const upstream = await pushUpstream({ 'README.md': '# upstream\n' });
    const before = await laneBytes('t');
    const p = spawnCli(repo, ['sync', 't'], { ISOLANE_TEST_CHECKPOINT: 'sync:conflicted' });
    groups.push(p.pid);
    await p.waitForStderr(/^checkpoint sync:conflicted$/m);
    await killCli(p);
    await waitGroupGone(p.pid);
    // The abort would now leave the branch at the upstream commit, not where it was.
    await fsp.writeFile(path.join(repo.root, '.git', 'worktrees', 't', 'rebase-merge', 'orig-head'), `${upstream}\n`);
    const r = await repo.cli(['sync', 't', '--json']);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(6);
    expect(r.stderr).toContain('was not as before after git rebase --abort');
    expect((JSON.parse(r.stdout) as ReportJson).lanes[0]?.recovered).toMatch(/restored: branch isolane\/t at/);
    expect(await laneBytes('t')).toEqual(before);
  });

  it('kill -9 mid-rebase, then down: the sync is undone first and the lane removed as usual', async () => {
    await up('k');
    await commitFile(repo, lanePath('k'), 'README.md', '# lane k\n');
    await repo.git(['push', '--quiet', 'origin', 'isolane/k'], lanePath('k'));
    await pushUpstream({ 'README.md': '# upstream\n' });
    const was = await branchOid('k');
    const p = spawnCli(repo, ['sync', 'k'], { ISOLANE_TEST_CHECKPOINT: 'sync:conflicted' });
    groups.push(p.pid);
    await p.waitForStderr(/^checkpoint sync:conflicted$/m);
    await killCli(p);
    await waitGroupGone(p.pid);
    const down = await repo.cli(['down', 'k', '--keep-branch', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect((JSON.parse(down.stdout) as { notes?: string[] }).notes?.join('\n')).toContain('rolled back a sync interrupted mid-rebase');
    expect(await branchOid('k')).toBe(was);
    expect(await pathExists(lanePath('k'))).toBe(false);
  });

  it('a sync marker that names another branch is refused by sync and down; down --force removes the lane anyway', async () => {
    await up('x');
    const dir = path.join(repo.root, '.git', 'isolane', 'sync');
    await fsp.mkdir(dir, { recursive: true });
    const oid = await branchOid('x');
    await fsp.writeFile(path.join(dir, 'x.json'), JSON.stringify({ version: 1, lane: 'x', branch: 'main', oid, head: 'refs/heads/main', indexSha256: null, startedAt: '', pid: 1 }));
    const refsBefore = await repo.git(['for-each-ref']);
    expect(byLane(await syncJson(['x'], 1)).x).toMatchObject({ result: 'failed', error: { code: 'BAD_RECORD' } });
    const down = await repo.cli(['down', 'x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('names branch main');
    expect(await repo.git(['for-each-ref'])).toBe(refsBefore);
    const forced = await repo.cli(['down', 'x', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((JSON.parse(forced.stdout) as { notes?: string[] }).notes?.join('\n')).toContain('removed anyway (--force)');
    expect(await pathExists(path.join(dir, 'x.json'))).toBe(false);
  });

  it('a clone lane fetches the new base from the main repository (still one fetch of the remote) and is rebased', async () => {
    await up('cl', ['--strategy', 'clone']);
    const laneRepo = lanePath('cl');
    await commitFile(repo, laneRepo, 'cl.txt', 'cl\n');
    const upstream = await pushUpstream({ 'up.txt': 'up\n' });
    const fetchesBefore = await fetches();
    const lanes = byLane(await syncJson(['cl'], 0));
    expect(await fetches()).toBe(fetchesBefore + 1);
    expect(lanes.cl).toMatchObject({ result: 'rebased', commits: 1 });
    const inLane = (await repo.git(['merge-base', '--is-ancestor', upstream, 'refs/heads/isolane/cl'], laneRepo).then(() => true, () => false));
    expect(inLane).toBe(true);
    expect(await fsp.readFile(path.join(laneRepo, 'up.txt'), 'utf8')).toBe('up\n');
    expect(await repo.git(['status', '--porcelain'], laneRepo)).toBe('');
  });

  it('a rebase that merge-tree predicts clean but that stops on a commit is rolled back all the same', async () => {
    await up('m');
    // The lane changes a line and changes it back: merged as a whole it is clean, replayed commit by commit it is not.
    await commitFile(repo, lanePath('m'), 'src/app.js', 'console.log("lane");\n', 'm: change');
    await commitFile(repo, lanePath('m'), 'src/app.js', 'console.log("app");\n', 'm: change back');
    await pushUpstream({ 'src/app.js': 'console.log("upstream");\n' });
    const before = await laneBytes('m');
    expect(byLane(await syncJson(['m', '--dry-run'], 0)).m).toMatchObject({ result: 'would-rebase', commits: 2 });
    expect(byLane(await syncJson(['m'], 6)).m).toMatchObject({ result: 'conflict', files: ['src/app.js'], rolledBack: true });
    expect(await laneBytes('m')).toEqual(before);
  });

  it.skipIf(noSnapshot !== undefined)('snapshot lanes: one is rebased in its overlay, a conflicting one is rolled back byte for byte', async () => {
    await up('s1', ['--strategy', 'snapshot']);
    await up('s2', ['--strategy', 'snapshot']);
    try {
      await commitFile(repo, lanePath('s1'), 's1.txt', 's1\n');
      await commitFile(repo, lanePath('s2'), 'README.md', '# lane s2\n');
      const upstream = await pushUpstream({ 'README.md': '# upstream\n', 'up.txt': 'up\n' });
      const before = await laneBytes('s2');
      const lanes = byLane(await syncJson(['--all'], 6));
      expect(lanes).toMatchObject({ s1: { result: 'rebased', commits: 1 }, s2: { result: 'conflict', files: ['README.md'] } });
      expect(await contains('s1', upstream)).toBe(true);
      expect(await fsp.readFile(path.join(lanePath('s1'), 'up.txt'), 'utf8')).toBe('up\n');
      expect(await repo.git(['status', '--porcelain'], lanePath('s1'))).toBe('');
      expect(await laneBytes('s2')).toEqual(before);
    } finally {
      // Their overlays are mounts: take them away before the temp dir goes.
      for (const lane of ['s1', 's2']) await repo.cli(['down', lane, '--force']);
    }
  });
});
