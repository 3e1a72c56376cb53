// @module-tag slow (kills at every step of a worktree up and down): the full suite only, not `npm run test:fast`
/**
 * A worktree lane's `up` (or `down`) SIGKILLed anywhere leaves nothing that blocks a later `up`
 * or `down` of that lane, down to git's own files: kills land at spread delays after spawn, the
 * moment a given step of the command shows on disk (a ref, the worktree's admin directory, a
 * checked-out file), and while an orphaned git checkout still runs; only end states are
 * asserted. (Kills at the named checkpoints, for every strategy, are the contract's:
 * test/contract/kills.ts.) The CLI runs in its own process group so that the git processes it
 * started, which a SIGKILL of isolane does not end, can be seen (and, where a test says so,
 * waited for).
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import {
  expectNoLane,
  expectReadyLane,
  headOid,
  journalDir,
  killCli,
  killGroup,
  killWhen,
  laneFacts,
  liveGroupMembers,
  ls,
  spawnCli,
  waitGroupGone,
  type Spawned,
} from '../helpers/crash.js';

let repo: TestRepo;
const spawned: Spawned[] = [];

beforeEach(async () => {
  repo = await makeRepo();
});

afterEach(async () => {
  for (const p of spawned.splice(0)) {
    killGroup(p.pid);
    await p.closed.catch(() => undefined);
  }
  await repo.cleanup();
});

function start(args: readonly string[], checkpoint?: string): Spawned {
  const p = spawnCli(repo, args, checkpoint ? { ISOLANE_TEST_CHECKPOINT: checkpoint } : {});
  spawned.push(p);
  return p;
}

/** Runs `args` until it reports `checkpoint`, then SIGKILLs it and waits for it (and its git children) to end. */
async function killAt(args: readonly string[], checkpoint: string): Promise<void> {
  const p = start(args, checkpoint);
  await p.waitForStderr(new RegExp(`^checkpoint ${checkpoint}$`, 'm'));
  await killCli(p);
  await waitGroupGone(p.pid);
}

async function upOk(lane: string): Promise<void> {
  const r = await repo.cli(['up', lane]);
  expect(r.code, `isolane up ${lane}\n${r.stderr}`).toBe(0);
  expect(r.stdout.trim()).toBe(path.join(repo.lanesRoot, lane));
}

async function downOk(lane: string, extra: readonly string[] = []): Promise<string> {
  const r = await repo.cli(['down', lane, ...extra]);
  expect(r.code, `isolane down ${lane}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * After `p` (an `isolane up <lane>`) was SIGKILLed: up then down of the lane succeed and leave
 * nothing. When the kill came after up had finished its work, the lane is whole and a second up
 * refuses instead. Returns a line describing what the kill left, for the test's annotation.
 */
async function checkAfterKill(p: Spawned, lane: string, label: string, oid: string, waitForChildren: boolean, files?: readonly string[]): Promise<string> {
  const ended = await killCli(p);
  const survivors = await liveGroupMembers(p.pid);
  if (waitForChildren) await waitGroupGone(p.pid);
  const left = await laneFacts(repo, lane);
  const what = `${label}: ${ended.signal === 'SIGKILL' ? 'killed' : `had exited ${ended.code}`}; left record=${left.record?.state ?? '-'} worktree=${left.worktree ? 'y' : '-'} branch=${left.branchOid ? 'y' : '-'} dir=${left.dir ? 'y' : '-'} temp-records=${left.tempRecords.length}; git still running: ${survivors.map((s) => s.cmd).join(' | ') || '-'}`;

  if (ended.signal !== 'SIGKILL') expect(ended.code, `up that finished before the kill (${what})\n${ended.stderr}`).toBe(0);
  if (left.record?.state === 'ready') {
    await expectReadyLane(repo, lane, oid, files);
    const again = await repo.cli(['up', lane]);
    expect(again.code, again.stderr).not.toBe(0);
    expect(again.stderr).toContain('already exists');
  } else {
    const up = await repo.cli(['up', lane]);
    expect(up.code, `up after a kill (${what})\n${up.stderr}`).toBe(0);
  }
  await expectReadyLane(repo, lane, oid, files);
  const down = await repo.cli(['down', lane]);
  expect(down.code, `down after a kill (${what})\n${down.stderr}`).toBe(0);
  await expectNoLane(repo, lane);
  return what;
}

describe('debris of a kill during a record write', () => {
  it('a temp record left by a kill between its write and its rename is gone after up and down of the lane', async () => {
    await killAt(['up', 'debris'], 'up:journaled');
    // Journal.write writes `<lane>.json.<pid>.<hex>.tmp`, then renames it onto `<lane>.json`: a
    // kill in between (seen with the spread-delay kills below) leaves this file.
    await fsp.writeFile(path.join(journalDir(repo), 'debris.json.4194300.0badf00d.tmp'), '{\n  "version": 1,\n  "lane": "deb');
    await upOk('debris');
    await downOk('debris');
    await expectNoLane(repo, 'debris');
    expect((await laneFacts(repo, 'debris')).tempRecords).toEqual([]);
  });
});

describe('SIGKILL at spread delays after spawn, without the hook', () => {
  /** How long a full `up` takes here, so that kills also land inside its git work on any machine. */
  async function measureUp(): Promise<number> {
    const t0 = performance.now();
    await upOk('measure');
    const elapsed = performance.now() - t0;
    await downOk('measure');
    return elapsed;
  }

  const FIXED = [0, 20, 40, 60, 80, 120, 200];
  /** Fractions of a measured full `up`: most of it is node starting; git runs near the end. */
  const FRACTIONS = [0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0];

  it('up then down of the lane succeed right after the kill', async ({ annotate }) => {
    const oid = await headOid(repo);
    const full = await measureUp();
    const delays = [...FIXED, ...FRACTIONS.map((k) => k * full)];
    const seen: string[] = [];
    for (const [i, delay] of delays.entries()) {
      const p = start(['up', `timed-${i}`]);
      await sleep(delay);
      seen.push(await checkAfterKill(p, `timed-${i}`, `${delay.toFixed(0)} ms`, oid, false));
    }
    expect(await ls(repo)).toEqual([]);
    await annotate(`full up: ${full.toFixed(0)} ms\n${seen.join('\n')}`);
  });
});

describe('SIGKILL the moment a step of up shows on disk', () => {
  /** Sync checks of what `up <lane>` makes, in the order it makes them. */
  const triggers = (lane: string): Array<readonly [string, () => boolean]> => {
    const lanePath = path.join(repo.lanesRoot, lane);
    const record = path.join(journalDir(repo), `${lane}.json`);
    return [
      ['lock file made', () => existsSync(path.join(journalDir(repo), `${lane}.lock`))],
      ['record written', () => existsSync(record)],
      ['branch ref made', () => existsSync(path.join(repo.root, '.git', 'refs', 'heads', 'isolane', lane))],
      ['worktree admin dir made', () => existsSync(path.join(repo.root, '.git', 'worktrees', lane))],
      ['lane directory made', () => existsSync(lanePath)],
      ['lane .git file written', () => existsSync(path.join(lanePath, '.git'))],
      ['first file checked out', () => existsSync(path.join(lanePath, 'README.md'))],
      ['last file checked out', () => existsSync(path.join(lanePath, 'src', 'app.js'))],
      ['record ready', () => readFileSync(record, 'utf8').includes('"ready"')],
    ];
  };

  it('up then down of the lane succeed right after the kill', async ({ annotate }) => {
    const oid = await headOid(repo);
    const seen: string[] = [];
    for (const [n, [label]] of triggers('probe').entries()) {
      const lane = `step-${n}`;
      const check = triggers(lane)[n]![1];
      const p = start(['up', lane]);
      await killWhen(p, () => {
        try {
          return check();
        } catch {
          return false; // not there yet
        }
      });
      seen.push(await checkAfterKill(p, lane, label, oid, false));
    }
    expect(await ls(repo)).toEqual([]);
    await annotate(seen.join('\n'));
  });
});

describe('SIGKILL the moment a step of down shows on disk', () => {
  it('a later down completes, and the lane can be made again', async ({ annotate }) => {
    const oid = await headOid(repo);
    const seen: string[] = [];
    const steps: Array<readonly [string, (lane: string) => boolean]> = [
      ['record says removing', (lane) => readFileSync(path.join(journalDir(repo), `${lane}.json`), 'utf8').includes('"removing"')],
      ['worktree admin dir gone', (lane) => !existsSync(path.join(repo.root, '.git', 'worktrees', lane))],
      ['lane directory gone', (lane) => !existsSync(path.join(repo.lanesRoot, lane))],
      ['branch ref gone', (lane) => !existsSync(path.join(repo.root, '.git', 'refs', 'heads', 'isolane', lane))],
      ['record gone', (lane) => !existsSync(path.join(journalDir(repo), `${lane}.json`))],
    ];
    for (const [n, [label, check]] of steps.entries()) {
      const lane = `going-${n}`;
      await upOk(lane);
      const p = start(['down', lane]);
      await killWhen(p, () => {
        try {
          return check(lane);
        } catch {
          return false;
        }
      });
      const ended = await killCli(p);
      const left = await laneFacts(repo, lane);
      const what = `${label}: ${ended.signal === 'SIGKILL' ? 'killed' : `had exited ${ended.code}`}; left record=${left.record?.state ?? '-'} worktree=${left.worktree ? 'y' : '-'} branch=${left.branchOid ? 'y' : '-'} dir=${left.dir ? 'y' : '-'}`;
      seen.push(what);
      const again = await repo.cli(['down', lane]);
      // Nothing left to do is the one acceptable refusal.
      if (left.record === undefined && !left.worktree && !left.branchOid) expect(again.stderr, what).toContain('no lane named');
      else expect(again.code, `down after a kill (${what})\n${again.stderr}`).toBe(0);
      await expectNoLane(repo, lane);
      await upOk(lane);
      await expectReadyLane(repo, lane, oid);
      await downOk(lane);
    }
    await annotate(seen.join('\n'));
  });
});

/**
 * A killed isolane does not take its git children with it: a `git checkout` of a large tree runs
 * on, writing into the lane directory, after the lane lock (a flock of the dead process) is free.
 */
describe('SIGKILL during the checkout of a large tree (git checkout outlives isolane)', () => {
  const FILES = 1500;
  let big: TestRepo;
  const bigFiles = ['README.md', 'src/app.js', 'd0/f0.txt', `d${(FILES - 1) % 30}/f${FILES - 1}.txt`];

  beforeEach(async () => {
    // One more commit on the repository the outer beforeEach made: many files, written at once.
    big = repo;
    await Promise.all(Array.from({ length: 30 }, (_, d) => fsp.mkdir(path.join(big.root, `d${d}`))));
    for (let i = 0; i < FILES; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, FILES - i) }, (_, j) => fsp.writeFile(path.join(big.root, `d${(i + j) % 30}`, `f${i + j}.txt`), `file ${i + j}\n`)));
    }
    await big.git(['add', '-A']);
    await big.git(['commit', '--quiet', '-m', `${FILES} files`]);
  });

  /** Kills `up <lane>` once its checkout has started writing files. */
  async function killDuringCheckout(lane: string): Promise<Spawned> {
    const lanePath = path.join(big.lanesRoot, lane);
    const p = start(['up', lane]);
    await killWhen(p, () => existsSync(path.join(lanePath, 'README.md')) || existsSync(path.join(lanePath, 'd0')));
    return p;
  }

  it('once the orphaned git has ended, up then down succeed', async ({ annotate }) => {
    const oid = await headOid(big);
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) seen.push(await checkAfterKill(await killDuringCheckout(`big-${i}`), `big-${i}`, 'checkout started', oid, true, bigFiles));
    await annotate(seen.join('\n'));
  });

  it('while the orphaned git checkout may still run, down removes every part of the lane', async () => {
    const p = await killDuringCheckout('orphan-down');
    await killCli(p);
    const survivors = await liveGroupMembers(p.pid);
    const r = await repo.cli(['down', 'orphan-down']);
    expect(r.code, `down with git still running: ${survivors.map((s) => s.cmd).join(' | ') || '-'}\n${r.stderr}`).toBe(0);
    await waitGroupGone(p.pid);
    await expectNoLane(repo, 'orphan-down');
  });

  it('while the orphaned git checkout may still run, up then down succeed', async ({ annotate }) => {
    const oid = await headOid(big);
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) seen.push(await checkAfterKill(await killDuringCheckout(`orphan-${i}`), `orphan-${i}`, 'checkout started', oid, false, bigFiles));
    await annotate(seen.join('\n'));
  });
});
