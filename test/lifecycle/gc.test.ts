/**
 * `isolane gc` on real repositories: what it removes, what it keeps and why, in every state a lane
 * can be left in (directory deleted by hand, isolane killed mid-`up`, upstream deleted after a
 * merge, squash merge, unpushed commit, stash, claim, a command running in it), two gcs at once,
 * and the log that says how to restore a branch.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';
import { killCli, readRecord, spawnCli, type Spawned } from '../helpers/crash.js';
import { stateSnapshot } from '../helpers/state.js';

let repo: TestRepo;
const spawned: Spawned[] = [];

beforeEach(async () => {
  repo = await makeRepo({ withOrigin: true });
});

afterEach(async () => {
  for (const p of spawned.splice(0)) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await repo.cleanup();
});

interface GcJson {
  acted: boolean;
  lanes: Array<{ lane: string; remove: boolean; reasons: string[]; outcome?: string; detail?: string; state: string }>;
  leftovers: Array<{ what: string; lane?: string; removed?: boolean }>;
  reclaimableBytes: number;
}

async function gc(args: readonly string[]): Promise<GcJson> {
  const r = await repo.cli(['gc', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as GcJson;
}

async function up(lane: string, extra: readonly string[] = []): Promise<string> {
  const r = await repo.cli(['up', lane, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return path.join(repo.lanesRoot, lane);
}

const branchOid = async (branch: string): Promise<string | undefined> => {
  const out = await repo.git(['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`]);
  return out.trim() || undefined;
};

const reasonsOf = (r: GcJson, lane: string): string => (r.lanes.find((l) => l.lane === lane)?.reasons ?? []).join('; ');

describe('gc --merged', () => {
  it('of a squash-merged lane, one with an unpushed commit, one with a stash and a claimed one, removes the first only and says why it keeps each other', async () => {
    const a = await up('squashed');
    await commitFile(repo, a, 'feature.txt', 'feature\n');
    const b = await up('unpushed');
    await commitFile(repo, b, 'wip.txt', 'wip\n');
    const c = await up('stashed');
    await commitFile(repo, c, 'stashed.txt', 'done\n');
    await fsp.writeFile(path.join(c, 'stashed.txt'), 'changed, then stashed\n');
    await repo.git(['stash', 'push', '--quiet', '-m', 'keep me'], c);
    const d = await up('claimed');
    await commitFile(repo, d, 'claimed.txt', 'claimed\n');
    // Squash merges of the first, third and fourth: their changes are in main, their commits are not.
    for (const lane of ['squashed', 'stashed', 'claimed']) {
      await repo.git(['merge', '--squash', '--quiet', `isolane/${lane}`]);
      await repo.git(['commit', '--quiet', '-m', `squash ${lane}`]);
    }
    expect((await repo.cli(['claim', 'claimed', '--ttl', '30m', '--as', 'agent-7'])).code).toBe(0);
    const squashedTip = await branchOid('isolane/squashed');

    // The plan changes nothing (git may freshen an existing object's mtime when a trial merge makes it again).
    const before = await stateSnapshot(repo, [repo.lanesRoot], { mtimes: false });
    const plan = await gc(['--merged', '--dry-run']);
    expect(plan.acted).toBe(false);
    expect(plan.lanes.filter((l) => l.remove).map((l) => l.lane)).toEqual(['squashed']);
    expect(await stateSnapshot(repo, [repo.lanesRoot], { mtimes: false })).toEqual(before);

    const done = await gc(['--merged', '--yes']);
    expect(done.lanes.find((l) => l.lane === 'squashed')?.outcome).toBe('removed');
    expect(reasonsOf(done, 'squashed')).toMatch(/squash-merged .*into main/);
    expect(reasonsOf(done, 'unpushed')).toMatch(/not merged into main/);
    expect(reasonsOf(done, 'stashed')).toMatch(/1 stash entry/);
    expect(reasonsOf(done, 'claimed')).toMatch(/claimed by agent-7 until/);

    expect(await exists(a)).toBe(false);
    expect(await branchOid('isolane/squashed')).toBeUndefined();
    expect(await readRecord(repo, 'squashed')).toBeUndefined();
    for (const [lane, dir] of [['unpushed', b], ['stashed', c], ['claimed', d]] as const) {
      expect(await exists(path.join(dir, `${lane === 'unpushed' ? 'wip' : lane}.txt`)), lane).toBe(true);
      expect(await branchOid(`isolane/${lane}`), lane).toBeDefined();
    }
    expect(await repo.git(['stash', 'list'])).toMatch(/keep me/);

    // The log says what went and how to get the branch back; the commits are still there.
    const log = await repo.cli(['gc', '--log']);
    expect(log.stdout).toContain(`restore: git branch isolane/squashed ${squashedTip}`);
    await repo.git(['branch', 'restored', squashedTip ?? 'missing']);
    expect((await repo.git(['show', 'restored:feature.txt'])).trim()).toBe('feature');

    // Released, the claimed lane goes on the next gc.
    expect((await repo.cli(['release', 'claimed'])).stdout).toMatch(/released lane claimed/);
    const again = await gc(['--merged', '--yes']);
    expect(again.lanes.find((l) => l.lane === 'claimed')?.outcome).toBe('removed');
    expect(await exists(d)).toBe(false);
  });

  it('removes a lane whose upstream branch was deleted after its merge, and one merged by rebase', async () => {
    const a = await up('pushed');
    await commitFile(repo, a, 'pushed.txt', 'pushed\n');
    await repo.git(['push', '--quiet', '-u', 'origin', 'isolane/pushed'], a);
    // Merged upstream (as a pull request would be), then the remote branch deleted, and fetched with prune.
    const upstream = path.join(repo.dir, 'upstream.git');
    await repo.git(['merge', '--quiet', '--no-ff', '-m', 'merge pushed', 'isolane/pushed'], upstream).catch(async () => {
      // A bare repository cannot merge: do it in a scratch clone and push.
      const scratch = path.join(repo.dir, 'scratch');
      await repo.git(['clone', '--quiet', upstream, scratch], repo.dir);
      await repo.git(['merge', '--quiet', '--no-ff', '-m', 'merge pushed', 'origin/isolane/pushed'], scratch);
      await repo.git(['push', '--quiet', 'origin', 'main'], scratch);
    });
    await repo.git(['push', '--quiet', 'origin', '--delete', 'isolane/pushed']);
    await repo.git(['fetch', '--quiet', '--prune', 'origin']);
    await repo.git(['branch', '--quiet', '--set-upstream-to=origin/main', 'main']);

    const b = await up('rebased');
    await commitFile(repo, b, 'rebased.txt', 'rebased\n');
    await commitFile(repo, repo.root, 'other.txt', 'moved on\n');
    await repo.git(['cherry-pick', 'isolane/rebased']);

    const r = await gc(['--merged', '--yes']);
    expect(reasonsOf(r, 'pushed')).toMatch(/merged into origin\/main; its upstream refs\/remotes\/origin\/isolane\/pushed was deleted/);
    expect(reasonsOf(r, 'rebased')).toMatch(/rebase-merged|squash-merged/);
    expect(r.lanes.map((l) => l.outcome)).toEqual(['removed', 'removed']);
    expect(await exists(a)).toBe(false);
    expect(await exists(b)).toBe(false);
  });
});

describe('gc of broken lanes', () => {
  it('after a lane directory deleted by hand and isolane killed at each step of up, leaves exactly the healthy lanes and nothing of the others', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'ports:\n  names: [web]\n');
    await repo.git(['add', 'isolane.yaml']);
    await repo.git(['commit', '--quiet', '-m', 'ports']);
    const healthy = await up('healthy');
    const dirty = await up('dirty');
    await fsp.writeFile(path.join(dirty, 'notes.txt'), 'not committed\n');
    const deleted = await up('deleted');
    await fsp.rm(deleted, { recursive: true, force: true });
    const committedThenDeleted = await up('lost-dir');
    await commitFile(repo, committedThenDeleted, 'kept.txt', 'kept\n');
    await fsp.rm(committedThenDeleted, { recursive: true, force: true });
    for (const step of ['up:journaled', 'up:created']) {
      const lane = `killed-${step.split(':')[1]}`;
      const p = spawnCli(repo, ['up', lane], { ISOLANE_TEST_CHECKPOINT: step });
      spawned.push(p);
      await p.waitForStderr(new RegExp(`checkpoint ${step}`));
      await killCli(p);
    }
    const leasesBefore = await repo.cli(['ports', '--json']);
    expect(leasesBefore.stdout).toContain('killed-created');

    const r = await gc(['--yes']);
    const removed = r.lanes.filter((l) => l.outcome === 'removed').map((l) => l.lane).sort();
    expect(removed).toEqual(['deleted', 'killed-created', 'killed-journaled', 'lost-dir']);
    expect(r.lanes.find((l) => l.lane === 'lost-dir')?.detail).toMatch(/branch isolane\/lost-dir is kept: it holds 1 commit/);
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string }>;
    expect(ls.map((l) => `${l.lane}:${l.state}`)).toEqual(['dirty:ready', 'healthy:ready']);
    expect(await exists(path.join(healthy, 'README.md'))).toBe(true);
    expect(await fsp.readFile(path.join(dirty, 'notes.txt'), 'utf8')).toBe('not committed\n');
    // Every layer of the removed ones: directories, records, branches (but the one with a commit), leases, worktrees.
    for (const lane of ['deleted', 'killed-created', 'killed-journaled']) {
      expect(await exists(path.join(repo.lanesRoot, lane)), lane).toBe(false);
      expect(await readRecord(repo, lane), lane).toBeUndefined();
      expect(await branchOid(`isolane/${lane}`), lane).toBeUndefined();
    }
    expect(await branchOid('isolane/lost-dir')).toBeDefined();
    const { leases } = JSON.parse((await repo.cli(['ports', '--json'])).stdout) as { leases: Array<{ lane: string }> };
    expect([...new Set(leases.map((l) => l.lane))].sort()).toEqual(['dirty', 'healthy']);
    const worktrees = (await repo.git(['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => path.basename(l.slice(9)));
    expect(worktrees.sort()).toEqual(['dirty', 'healthy', 'repo']);
    // A second gc finds nothing to do.
    const again = await gc(['--yes']);
    expect(again.lanes.filter((l) => l.remove)).toEqual([]);
    expect(again.leftovers).toEqual([]);
  });

  it('reclaims leases and state of lanes whose records were lost, and worktree metadata of deleted directories', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'ports:\n  names: [web]\n');
    const lane = await up('forgotten');
    // The record, the lane and its worktree go behind isolane's back; its lease and state stay.
    await fsp.rm(path.join(repo.root, '.git', 'isolane', 'lanes', 'forgotten.json'));
    await repo.git(['worktree', 'remove', '--force', lane]);
    await repo.git(['branch', '-D', 'isolane/forgotten']);
    // And a worktree made by hand whose directory was deleted.
    await repo.git(['worktree', 'add', '--quiet', path.join(repo.dir, 'by-hand'), '-b', 'by-hand']);
    await fsp.rm(path.join(repo.dir, 'by-hand'), { recursive: true, force: true });
    await fsp.mkdir(path.join(repo.root, '.git', 'isolane', 'claims'), { recursive: true });
    await fsp.writeFile(path.join(repo.root, '.git', 'isolane', 'claims', 'forgotten.json'), '{}');
    const plan = await gc([]);
    expect(plan.leftovers.map((l) => l.what).join('\n')).toMatch(/port lease/);
    expect(plan.leftovers.map((l) => l.what).join('\n')).toMatch(/claims\/forgotten.json/);
    expect(plan.leftovers.map((l) => l.what).join('\n')).toMatch(/git worktree metadata of .*by-hand/);
    const done = await gc(['--yes']);
    expect(done.leftovers.every((l) => l.removed === true)).toBe(true);
    expect((JSON.parse((await repo.cli(['ports', '--json'])).stdout) as { leases: unknown[] }).leases).toEqual([]);
    expect(await exists(path.join(repo.root, '.git', 'isolane', 'claims', 'forgotten.json'))).toBe(false);
    expect((await repo.git(['worktree', 'list', '--porcelain'])).includes('prunable')).toBe(false);
  });
});

describe('lanes in use', () => {
  it('keeps a lane while a command runs in it through isolane, also after isolane itself was killed; removes it once the command ends', async () => {
    const lane = await up('busy');
    await commitFile(repo, lane, 'done.txt', 'done\n');
    await repo.git(['merge', '--quiet', 'isolane/busy']);
    const marker = path.join(repo.dir, 'started');
    const p = spawnCli(repo, ['run', 'busy', '--', 'sh', '-c', `touch ${marker}; exec sleep 60 </dev/null >/dev/null 2>&1`]);
    spawned.push(p);
    for (let i = 0; i < 200 && !(await exists(marker)); i++) await new Promise((r) => setTimeout(r, 50));
    const kept = await gc(['--merged', '--yes']);
    expect(reasonsOf(kept, 'busy')).toMatch(/run sh running/);
    await killCli(p); // isolane goes; its command goes on
    const still = await gc(['--merged', '--yes']);
    expect(reasonsOf(still, 'busy')).toMatch(/run sh running/);
    expect(await exists(lane)).toBe(true);
    process.kill(-p.pid, 'SIGKILL'); // the command too
    await new Promise((r) => setTimeout(r, 200));
    const gone = await gc(['--merged', '--yes']);
    expect(gone.lanes.find((l) => l.lane === 'busy')?.outcome).toBe('removed');
  });

  it('claims: bad input is refused and changes nothing; activity renews a claim', async () => {
    await up('x');
    const bad = await repo.cli(['claim', 'x', '--ttl', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ttl "soon" is not a duration/);
    expect((await repo.cli(['claim', 'nope', '--ttl', '5m'])).code).not.toBe(0);
    expect((await repo.cli(['claim', '../x', '--ttl', '5m'])).code).toBe(2);
    expect(await exists(path.join(repo.root, '.git', 'isolane', 'claims'))).toBe(false);
    const first = JSON.parse((await repo.cli(['claim', 'x', '--ttl', '10m', '--json'])).stdout) as { until: string };
    await new Promise((r) => setTimeout(r, 1100));
    expect((await repo.cli(['run', 'x', '--', 'true'])).code).toBe(0);
    const claim = JSON.parse(await fsp.readFile(path.join(repo.root, '.git', 'isolane', 'claims', 'x.json'), 'utf8')) as { until: string };
    expect(Date.parse(claim.until)).toBeGreaterThan(Date.parse(first.until));
  });
});

describe('gc at once and idle lanes', () => {
  it('two gcs at once remove each merged lane once, and both succeed', async () => {
    for (const lane of ['m1', 'm2', 'm3']) {
      const dir = await up(lane);
      await commitFile(repo, dir, `${lane}.txt`, lane);
      await repo.git(['merge', '--quiet', `isolane/${lane}`]);
    }
    const [r1, r2] = await Promise.all([repo.cli(['gc', '--merged', '--yes', '--json']), repo.cli(['gc', '--merged', '--yes', '--json'])]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    const removed = [r1, r2].flatMap((r) => (JSON.parse(r.stdout) as GcJson).lanes.filter((l) => l.outcome === 'removed').map((l) => l.lane));
    expect(removed.sort()).toEqual(['m1', 'm2', 'm3']);
    const log = JSON.parse((await repo.cli(['gc', '--log', '--json'])).stdout) as Array<{ lane?: string }>;
    expect(log.map((e) => e.lane).sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('--older-than alone removes idle lanes with nothing of their own, and keeps newer ones', async () => {
    await up('old');
    await up('new');
    // Made long ago, as its record says.
    const file = path.join(repo.root, '.git', 'isolane', 'lanes', 'old.json');
    const record = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
    await fsp.writeFile(file, JSON.stringify({ ...record, createdAt: '2020-01-01T00:00:00.000Z' }));
    const past = new Date('2020-01-01T00:00:00Z');
    await fsp.utimes(file, past, past);
    const r = await gc(['--older-than', '7d', '--yes']);
    expect(r.lanes.find((l) => l.lane === 'old')?.outcome).toBe('removed');
    expect(reasonsOf(r, 'new')).toMatch(/active .* ago/);
    expect((await repo.cli(['gc', '--older-than', 'a-while'])).code).toBe(2);
  });

  it('ls --disk shows what each lane takes and what gc could reclaim', async () => {
    const dir = await up('big');
    await fsp.writeFile(path.join(dir, 'blob.bin'), Buffer.alloc(3 * 2 ** 20, 1));
    await up('merged');
    await commitFile(repo, path.join(repo.lanesRoot, 'merged'), 'm.txt', 'm');
    await repo.git(['merge', '--quiet', 'isolane/merged']);
    const json = JSON.parse((await repo.cli(['ls', '--disk', '--json'])).stdout) as Array<{ lane: string; diskBytes?: number }>;
    expect(json.find((l) => l.lane === 'big')?.diskBytes).toBeGreaterThan(3 * 2 ** 20);
    const text = await repo.cli(['ls', '--disk']);
    expect(text.stdout).toMatch(/DISK/);
    expect(text.stdout).toMatch(/reclaimable: 1 clean lane\(s\) with nothing unmerged/);
    expect((await repo.cli(['ls'])).stdout).not.toMatch(/DISK/);
  });
});
