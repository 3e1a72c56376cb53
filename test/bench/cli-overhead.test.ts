import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliOverheadTable } from '../../bench/reports/model.js';
import { layout } from '../../bench/reports/text.js';
import { ext4WithoutJournal } from '../../bench/host.js';
import { scratchFs } from '../../bench/scratch-fs.js';
import { CLI_GOAL, cliOverhead } from '../../bench/scenarios/cli-overhead.js';
import { readMounts } from '../../src/snapshot/mountinfo.js';
import { canMount } from '../../src/snapshot/privilege.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

const mountedUnder = async (dir: string): Promise<string[]> => (await readMounts()).map((m) => m.mountPoint).filter((p) => p.startsWith(dir));
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('scratch filesystem', () => {
  it('is a tmpfs of its own when this process may mount, gone after release with what was in it', async () => {
    repo = await makeRepo();
    const mounts = await canMount();
    const s = await scratchFs(repo.dir, repo.env, { tmpfs: true });
    expect(s.tmpfs).toBe(mounts);
    expect(await mountedUnder(repo.dir)).toEqual(mounts ? [s.dir] : []);
    if (!mounts) expect(s.note).toMatch(/no tmpfs/);
    await fsp.writeFile(path.join(s.dir, 'f'), 'x');
    await s.release();
    expect(await mountedUnder(repo.dir)).toEqual([]);
    expect(await exists(s.dir)).toBe(false);
  });

  it('is a plain directory on the disk when asked, and says so', async () => {
    repo = await makeRepo();
    const s = await scratchFs(repo.dir, repo.env, { tmpfs: false });
    expect(s.tmpfs).toBe(false);
    expect(s.note).toMatch(/^on the normal disk, as asked/);
    // ext4 without a journal makes a checkout's kernel time depend on the deletions before it: said.
    expect(s.note?.includes('ext4 without a journal')).toBe((await ext4WithoutJournal(s.dir)) === true);
    expect(s.filesystem).not.toBe('tmpfs');
    expect(await mountedUnder(repo.dir)).toEqual([]);
    await s.release();
    expect(await exists(s.dir)).toBe(false);
  });
});

describe('CLI overhead scenario', () => {
  it('runs each command through the CLI beside node plus the raw commands and gives every row a ratio and a verdict', { timeout: 600_000 }, async () => {
    repo = await makeRepo();
    const work = path.join(repo.dir, 'work');
    await fsp.mkdir(work);
    const steps: string[] = [];
    const r = await cliOverhead({
      source: repo.root,
      env: repo.env,
      work,
      rounds: 1,
      lanes: 3,
      strategies: ['worktree', 'clone', 'snapshot'],
      images: { image: 'isolane/unused:none', agentImage: 'isolane/unused:none' },
      onStep: (s) => steps.push(s),
    });
    const mounts = await canMount();
    expect(r.tmpfs).toBe(mounts);
    if (mounts) expect(r.filesystem).toBe('tmpfs');
    expect(r.rows.map((row) => row.command)).toEqual([
      'isolane --version',
      'isolane path <lane>',
      'isolane ls, 1 lane',
      'isolane up, worktree',
      'isolane down, worktree',
      'isolane up, clone (full)',
      'isolane down, clone (full)',
      'isolane ls, 3 lanes',
    ]);
    expect(r.rows.map((row) => row.result.b.name)).toEqual([
      'node -e 0',
      'node -e 0',
      'node -e 0 + git worktree list + git status',
      'node -e 0 + git worktree add -b',
      'node -e 0 + worktree remove + branch -d',
      'node -e 0 + git clone --no-local + checkout -b',
      'node -e 0 + status + fetch home + rm -rf',
      'node -e 0 + git worktree list + 3 x git status',
    ]);
    for (const row of r.rows) {
      // The cheap commands run twice the rounds.
      expect(row.result.a.runs, row.command).toBe(['isolane --version', 'isolane path <lane>', 'isolane ls, 1 lane'].includes(row.command) ? 2 : 1);
      expect(row.result.b.runs, row.command).toBe(row.result.a.runs);
      expect(row.goal).toBe(CLI_GOAL);
      expect(row.ratio, row.command).toBeGreaterThan(0);
      expect(Number.isFinite(row.ratio), row.command).toBe(true);
      expect(row.met).toBe(row.ratio <= CLI_GOAL);
      // Every side starts a Node process at least: CPU is never nothing.
      expect(row.result.cpu?.a.totalMs, row.command).toBeGreaterThan(0);
      expect(row.result.cpu?.b.totalMs, row.command).toBeGreaterThan(0);
      expect(row.basis).toBe(row.command === 'isolane ls, 3 lanes' ? 'cpu' : 'time');
      expect(row.ratio).toBe(row.basis === 'cpu' ? row.result.cpu?.ratio.p50 : row.result.ratio.p50);
    }
    expect(r.rows.at(-1)?.lanes).toBe(3);
    expect(steps).toContain('CLI overhead: making lane 3 of 3 for ls');
    // Every row in the report, with its ratio and its verdict.
    const table = layout(cliOverheadTable(r));
    for (const row of r.rows) expect(table).toMatch(new RegExp(`^${escape(row.command)}\\s.*\\d\\.\\d\\dx.*(?:time|CPU) <= 1\\.30x: (?:met|MISSED)\\s+\\d+$`, 'm'));
    expect(table).toContain(mounts ? '(on a tmpfs)' : 'on the disk');
    // Nothing left: no mount, no scratch directory, no lane or branch in the repository copied.
    expect(await mountedUnder(repo.dir)).toEqual([]);
    expect(await fsp.readdir(work)).toEqual([]);
    expect((await repo.git(['branch', '--format=%(refname:short)'])).trim()).toBe('main');
    expect((await repo.git(['worktree', 'list', '--porcelain'])).match(/^worktree /gm)).toHaveLength(1);
  });
});
