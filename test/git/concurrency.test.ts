/**
 * Many isolane processes on one repository at once: separate OS processes of the built CLI,
 * started together. Only end states are asserted (exit codes, git, disk), never timings.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT_MARKER } from '../../src/engine/lanes-root.js';
import { makeRepo, type CliResult, type TestRepo } from '../helpers/repo.js';
import { expectNoLane, expectReadyLane, headOid, journalFiles, laneBranches, laneFacts, ls, worktrees } from '../helpers/crash.js';

let repo: TestRepo;

beforeEach(async () => {
  repo = await makeRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

const describeResult = (argv: readonly string[], r: CliResult): string => `isolane ${argv.join(' ')} -> ${r.code}\n${r.stderr}`;

/** Only the main checkout is registered, no lane branch or record exists, the lanes root is empty. */
async function expectNothingLeft(): Promise<void> {
  expect(await worktrees(repo)).toEqual([{ path: repo.root, head: await headOid(repo), branch: 'refs/heads/main' }]);
  expect([...(await laneBranches(repo)).keys()]).toEqual([]);
  expect((await journalFiles(repo)).filter((f) => !f.endsWith('.lock'))).toEqual([]);
  const left = await fsp.readdir(repo.lanesRoot).catch(() => []);
  expect(left.filter((f) => f !== ROOT_MARKER)).toEqual([]);
  const admin = await fsp.readdir(path.join(repo.root, '.git', 'worktrees')).catch(() => []);
  expect(admin).toEqual([]);
  expect(await ls(repo)).toEqual([]);
}

describe('concurrent processes on one repository', () => {
  it('16 concurrent ups of different lanes all succeed; 16 concurrent downs remove them all', async () => {
    const oid = await headOid(repo);
    const lanes = Array.from({ length: 16 }, (_, i) => `lane-${i}`);

    const ups = await Promise.all(lanes.map((l) => repo.cli(['up', l])));
    ups.forEach((r, i) => expect(r.code, describeResult(['up', lanes[i]!], r)).toBe(0));
    ups.forEach((r, i) => expect(r.stdout.trim()).toBe(path.join(repo.lanesRoot, lanes[i]!)));

    const listed = await ls(repo);
    expect(listed.map((l) => [l.lane, l.state]).sort()).toEqual(lanes.map((l) => [l, 'ready']).sort());
    const wts = await worktrees(repo);
    expect(wts).toHaveLength(17);
    const branches = await laneBranches(repo);
    expect([...branches.keys()].sort()).toEqual(lanes.map((l) => `refs/heads/isolane/${l}`).sort());
    for (const l of lanes) await expectReadyLane(repo, l, oid);

    const downs = await Promise.all(lanes.map((l) => repo.cli(['down', l])));
    downs.forEach((r, i) => expect(r.code, describeResult(['down', lanes[i]!], r)).toBe(0));
    for (const l of lanes) await expectNoLane(repo, l);
    await expectNothingLeft();
  });

  it('of 2 concurrent ups of one lane exactly one wins; the other says "already exists" and changes nothing', async () => {
    const oid = await headOid(repo);
    for (let round = 0; round < 5; round++) {
      const lane = `same-${round}`;
      const results = await Promise.all([repo.cli(['up', lane]), repo.cli(['up', lane])]);
      const winners = results.filter((r) => r.code === 0);
      const losers = results.filter((r) => r.code !== 0);
      expect(winners, results.map((r) => describeResult(['up', lane], r)).join('\n')).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]!.stderr).toContain('already exists');
      expect(losers[0]!.stdout).toBe('');

      // Exactly one of each: worktree, branch, record.
      expect((await worktrees(repo)).filter((w) => w.path === path.join(repo.lanesRoot, lane))).toHaveLength(1);
      expect([...(await laneBranches(repo)).keys()]).toEqual([`refs/heads/isolane/${lane}`]);
      expect((await journalFiles(repo)).filter((f) => f.includes('.json'))).toEqual([`${lane}.json`]);
      await expectReadyLane(repo, lane, oid);

      const down = await repo.cli(['down', lane]);
      expect(down.code, describeResult(['down', lane], down)).toBe(0);
      await expectNoLane(repo, lane);
      await expectNothingLeft();
    }
  });

  it('concurrent up and down of one lane leave it either whole or wholly gone', async ({ annotate }) => {
    const oid = await headOid(repo);
    const outcomes: string[] = [];
    for (let round = 0; round < 8; round++) {
      const lane = `x-${round}`;
      // Even rounds start without the lane, odd rounds with it.
      const preexisting = round % 2 === 1;
      if (preexisting) expect((await repo.cli(['up', lane])).code).toBe(0);
      const [up, down] = await Promise.all([repo.cli(['up', lane]), repo.cli(['down', lane])]);

      const f = await laneFacts(repo, lane);
      const whole = f.record?.state === 'ready' && f.worktree !== undefined && f.branchOid !== undefined && f.dir;
      const gone = f.record === undefined && f.worktree === undefined && f.branchOid === undefined && !f.dir && !f.adminDir;
      const story = `round ${round} (lane ${preexisting ? 'existed' : 'absent'}): ${describeResult(['up', lane], up)}\n${describeResult(['down', lane], down)}\nfacts: ${JSON.stringify(f)}`;
      expect(whole || gone, story).toBe(true);
      outcomes.push(`${preexisting ? 'existed' : 'absent'}: up ${up.code} down ${down.code} -> ${whole ? 'whole' : 'gone'}`);

      // The exit codes agree with the end state: a reported success is never undone, and a
      // lane is never left that no successful up made.
      if (whole) {
        await expectReadyLane(repo, lane, oid);
        expect(up.code, story).toBe(0);
        // It existed: down removed it first, then up made it again. It did not: down found nothing.
        if (preexisting) expect(down.code, story).toBe(0);
        else expect(down.code, story).not.toBe(0);
        const cleanup = await repo.cli(['down', lane]);
        expect(cleanup.code, cleanup.stderr).toBe(0);
      } else if (preexisting) {
        expect(down.code, story).toBe(0);
        expect(up.code, story).not.toBe(0);
      } else {
        // Either up then down (both succeed), or down held the lane while up tried (both refuse).
        expect(up.code === 0, story).toBe(down.code === 0);
      }
      await expectNoLane(repo, lane);
    }
    await expectNothingLeft();
    // Which interleavings this run saw (shown by reporters that print annotations).
    await annotate(outcomes.join('\n'));
  });

  it('ls, run while lanes are being made and removed, never fails and never calls a live lane interrupted, orphan, missing or corrupt', async () => {
    const lanes = Array.from({ length: 6 }, (_, i) => `busy-${i}`);
    const seen = new Map<string, Set<string>>();
    const failures: string[] = [];
    /** Runs `ls --json` in `workers` loops until `work` settles; records every status shown. */
    const lsDuring = async <T>(phase: string, work: Promise<T>, workers = 2): Promise<T> => {
      let done = false;
      const finished = work.finally(() => (done = true));
      const loop = async (): Promise<void> => {
        while (!done) {
          const r = await repo.cli(['ls', '--json']);
          if (r.code !== 0) {
            failures.push(`during ${phase}: exit ${r.code}: ${r.stderr.slice(0, 400)}`);
            continue;
          }
          for (const l of JSON.parse(r.stdout) as Array<{ lane: string; state: string }>) {
            if (!seen.has(l.state)) seen.set(l.state, new Set());
            seen.get(l.state)!.add(`${l.lane} (during ${phase})`);
          }
        }
      };
      await Promise.all(Array.from({ length: workers }, loop));
      return finished;
    };

    const ups = await lsDuring('up', Promise.all(lanes.map((l) => repo.cli(['up', l]))));
    ups.forEach((r) => expect(r.code, r.stderr).toBe(0));
    const downs = await lsDuring('down', Promise.all(lanes.map((l) => repo.cli(['down', l]))));
    downs.forEach((r) => expect(r.code, r.stderr).toBe(0));
    await expectNothingLeft();

    // Every process was alive throughout, so each lane is ready or in progress: never a status
    // whose note tells the reader to clean it up with `isolane down`.
    const statuses = Object.fromEntries([...seen].map(([status, names]) => [status, [...names].sort()]));
    for (const bad of ['interrupted', 'orphan', 'missing', 'corrupt']) expect.soft(statuses[bad], `ls said ${bad}: ${JSON.stringify(statuses)}`).toBeUndefined();
    // And ls itself never fails because a lane came or went while it looked.
    expect.soft(failures, `isolane ls --json failed ${failures.length} time(s)`).toEqual([]);
  });
});
