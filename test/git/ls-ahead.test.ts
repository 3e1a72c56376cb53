// @module-tag slow (CLI end to end): the full suite only, not `npm run test:fast`
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * `isolane ls` starts, before it loads, the lane statuses the last `ls` from the same directory
 * ran (src/git/ahead.ts), and takes their results where the lane is the same one.
 */
let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
});

const debug = { ISOLANE_DEBUG: '1' };
const planDir = (): string => path.join(repo.dir, 'home', '.cache', 'isolane', 'ahead');

interface Plan {
  cwd: string;
  calls: Array<{ key: string; cwd: string; argv: string[]; timeoutMs: number; watchFifo: boolean }>;
}

async function plans(): Promise<Plan[]> {
  const names = await fsp.readdir(planDir()).catch(() => []);
  return Promise.all(names.map(async (n) => JSON.parse(await fsp.readFile(path.join(planDir(), n), 'utf8')) as Plan));
}

async function lsJson(env: Record<string, string> = {}): Promise<{ lanes: Array<{ lane: string; dirty: number; state: string }>; stderr: string }> {
  const r = await repo.cli(['ls', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return { lanes: JSON.parse(r.stdout) as Array<{ lane: string; dirty: number; state: string }>, stderr: r.stderr };
}

const startedAhead = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('started ahead'));

describe('ls starts what it read last time before it loads', () => {
  it('keeps the statuses it ran as the plan, and the next ls takes them, current', async () => {
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    const first = await lsJson(debug);
    expect(startedAhead(first.stderr)).toEqual([]);
    const [plan, ...more] = await plans();
    expect(more).toEqual([]);
    expect(plan?.cwd).toBe(repo.root);
    expect(plan?.calls).toHaveLength(1);
    expect(plan?.calls[0]).toMatchObject({ cwd: path.join(repo.lanesRoot, 'a'), watchFifo: true });
    expect(plan?.calls[0]?.argv).toContain('status');

    // Work done since the plan was written is seen: the status starts when this ls does.
    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'new.txt'), 'x');
    const second = await lsJson(debug);
    expect(startedAhead(second.stderr)).toHaveLength(1);
    expect(second.lanes).toMatchObject([{ lane: 'a', state: 'ready', dirty: 1 }]);
    // Another directory has a plan of its own.
    await lsJson();
    await repo.cli(['ls'], { cwd: path.join(repo.lanesRoot, 'a') });
    expect((await plans()).map((p) => p.cwd).sort()).toEqual([repo.root, path.join(repo.lanesRoot, 'a')].sort());
  });

  it('reads a lane made again under its name anew, and plans it', async () => {
    await repo.cli(['up', 'a']);
    await lsJson();
    const before = (await plans())[0]?.calls[0]?.key;
    expect((await repo.cli(['down', 'a'])).code).toBe(0);
    // Made again in the same place, with the same branch: only the record's time tells them apart.
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'one.txt'), '1');
    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'two.txt'), '2');
    const again = await lsJson(debug);
    expect(startedAhead(again.stderr)).toEqual([]);
    expect(again.lanes).toMatchObject([{ lane: 'a', dirty: 2 }]);
    const after = (await plans())[0]?.calls[0]?.key;
    expect(after).toMatch(/^a@/);
    expect(after).not.toBe(before);
    expect(startedAhead((await lsJson(debug)).stderr)).toHaveLength(1);
  });

  it('a lane gone since the plan costs nothing but its status: ls says what is there', async () => {
    await repo.cli(['up', 'a']);
    await repo.cli(['up', 'b']);
    await lsJson();
    expect((await repo.cli(['down', 'a'])).code).toBe(0);
    const { lanes, stderr } = await lsJson(debug);
    expect(lanes.map((l) => l.lane)).toEqual(['b']);
    expect(startedAhead(stderr)).toHaveLength(1);
    expect((await plans())[0]?.calls.map((c) => c.cwd)).toEqual([path.join(repo.lanesRoot, 'b')]);
    // The last lane gone, so is the plan: the next ls has nothing to start, and loads nothing for it.
    expect((await repo.cli(['down', 'b'])).code).toBe(0);
    expect((await lsJson()).lanes).toEqual([]);
    expect(await plans()).toEqual([]);
  });

  it('a plan that still holds is not written again, whatever order the lanes are read in', async () => {
    for (const lane of ['a', 'b', 'c']) expect((await repo.cli(['up', lane])).code).toBe(0);
    await lsJson();
    const [file] = await fsp.readdir(planDir());
    const plan = path.join(planDir(), file ?? '');
    const { ino } = await fsp.stat(plan);
    expect((await plans())[0]?.calls).toHaveLength(2);
    for (let i = 0; i < 4; i++) expect((await lsJson()).lanes.map((l) => l.lane)).toEqual(['a', 'b', 'c']);
    // Written by rename: the same inode is the same file.
    expect((await fsp.stat(plan)).ino).toBe(ino);
  });

  it('a torn plan is ignored and written again', async () => {
    await repo.cli(['up', 'a']);
    await lsJson();
    const [file] = await fsp.readdir(planDir());
    await fsp.writeFile(path.join(planDir(), file ?? ''), '{"cwd": "');
    const { lanes, stderr } = await lsJson(debug);
    expect(lanes).toMatchObject([{ lane: 'a', state: 'ready', dirty: 0 }]);
    expect(startedAhead(stderr)).toEqual([]);
    expect((await plans())[0]?.calls).toHaveLength(1);
  });

  it('a planted plan runs nothing but a status: no other git command, no option before it', async () => {
    await repo.cli(['up', 'a']);
    await lsJson();
    const [file] = await fsp.readdir(planDir());
    const marker = path.join(repo.dir, 'fsmonitor-ran');
    const call = (argv: string[]) => ({ key: 'x', cwd: repo.root, argv, timeoutMs: 60_000, watchFifo: true });
    const planted = [
      [call(['--no-optional-locks', 'tag', 'planted'])],
      [call(['-c', `core.fsmonitor=touch ${marker}`, '--no-optional-locks', 'status'])],
      [call(['tag', 'planted', '--no-optional-locks', 'status'])],
      [call(['--no-optional-locks', 'status']), call(['--no-optional-locks', 'branch', 'planted'])],
    ];
    for (const calls of planted) {
      await fsp.writeFile(path.join(planDir(), file ?? ''), JSON.stringify({ cwd: repo.root, calls }));
      expect((await lsJson()).lanes).toMatchObject([{ lane: 'a', state: 'ready' }]);
    }
    expect(await repo.git(['tag', '--list'])).toBe('');
    expect(await repo.git(['branch', '--list', 'planted'])).toBe('');
    expect(await exists(marker)).toBe(false);
  });

  it('a lane read through a view (a clone) plans nothing: its git differs from one run to the next', async () => {
    expect((await repo.cli(['up', 'c', '--strategy', 'clone'])).code).toBe(0);
    await lsJson();
    await lsJson();
    expect(await plans()).toEqual([]);
  });
});
