import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Isolane, isIsolaneError, WouldLoseWorkError } from '../../src/index.js';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
let iso: Isolane;

beforeEach(async () => {
  repo = await makeRepo();
  iso = await Isolane.open({ cwd: repo.root, env: repo.env });
});
afterEach(async () => {
  await repo.cleanup();
});

const branchOid = async (branch: string): Promise<string | undefined> =>
  (await repo.git(['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`])).trim() || undefined;

describe('up', () => {
  it('creates branch, worktree and record from the base branch', async () => {
    const main = (await repo.git(['rev-parse', 'main'])).trim();
    const lane = await iso.up('fix-login');
    expect(lane.path).toBe(path.join(repo.lanesRoot, 'fix-login'));
    expect(lane.branch).toBe('isolane/fix-login');
    expect(await branchOid('isolane/fix-login')).toBe(main);
    expect(await fsp.readFile(path.join(lane.path, 'src/app.js'), 'utf8')).toContain('app');
    expect((await repo.git(['symbolic-ref', 'HEAD'], lane.path)).trim()).toBe('refs/heads/isolane/fix-login');
    expect((await repo.git(['status', '--porcelain'], lane.path)).trim()).toBe('');
    const record = JSON.parse(await fsp.readFile(path.join(repo.root, '.git/isolane/lanes/fix-login.json'), 'utf8')) as { state: string; startOid: string };
    expect(record).toMatchObject({ state: 'ready', startOid: main, base: 'main', strategy: 'worktree' });
    // only this user reads records: one can hold a database URL with its password
    expect((await fsp.stat(path.join(repo.root, '.git/isolane/lanes/fix-login.json'))).mode & 0o777).toBe(0o600);
    // --no-track: no upstream config was written for the lane branch
    expect(await repo.git(['config', '--get-regexp', '^branch\\.isolane/'], repo.root).catch(() => '')).toBe('');
  });

  it('starts from --from and honours branchPrefix and lanes.root from isolane.yaml', async () => {
    const first = (await repo.git(['rev-parse', 'HEAD'])).trim();
    await commitFile(repo, repo.root, 'second.txt', '2');
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'branchPrefix: agents/\nlanes:\n  root: ../lanes-{repo}\n');
    const iso2 = await Isolane.open({ cwd: repo.root, env: repo.env });
    const lane = await iso2.up('old', { from: first });
    expect(lane.path).toBe(path.join(repo.dir, 'lanes-repo', 'old'));
    expect(await branchOid('agents/old')).toBe(first);
    expect(await exists(path.join(lane.path, 'second.txt'))).toBe(false);
  });

  it('refuses a name that is taken by a lane, a branch or a directory, changing nothing', async () => {
    await iso.up('a');
    await expect(iso.up('a')).rejects.toMatchObject({ code: 'LANE_EXISTS' });
    await repo.git(['branch', 'isolane/b']);
    await expect(iso.up('b')).rejects.toMatchObject({ code: 'LANE_EXISTS' });
    expect(await exists(path.join(repo.lanesRoot, 'b'))).toBe(false);
    await fsp.mkdir(path.join(repo.lanesRoot, 'c'), { recursive: true });
    await fsp.writeFile(path.join(repo.lanesRoot, 'c', 'mine.txt'), 'not isolane');
    await expect(iso.up('c')).rejects.toMatchObject({ code: 'LANE_EXISTS' });
    expect(await fsp.readFile(path.join(repo.lanesRoot, 'c', 'mine.txt'), 'utf8')).toBe('not isolane');
    expect(await branchOid('isolane/c')).toBeUndefined();
  });

  it('works from inside a lane: the repository is the main one', async () => {
    const a = await iso.up('a');
    const fromLane = await Isolane.open({ cwd: a.path, env: repo.env });
    const b = await fromLane.up('b');
    expect(b.path).toBe(path.join(repo.lanesRoot, 'b'));
    expect((await fromLane.list()).map((l) => l.lane)).toEqual(['a', 'b']);
  });
});

describe('down', () => {
  it('removes checkout, branch and record of a clean lane', async () => {
    const lane = await iso.up('a');
    const report = await lane.down();
    expect(report.deletedBranch?.name).toBe('isolane/a');
    expect(await exists(lane.path)).toBe(false);
    expect(await branchOid('isolane/a')).toBeUndefined();
    expect(await exists(path.join(repo.root, '.git/isolane/lanes/a.json'))).toBe(false);
    expect(await repo.git(['worktree', 'list', '--porcelain'])).not.toContain(lane.path);
  });

  it('refuses to lose uncommitted or untracked files, listing them, and changes nothing', async () => {
    const lane = await iso.up('a');
    await fsp.writeFile(path.join(lane.path, 'README.md'), 'edited');
    await fsp.writeFile(path.join(lane.path, 'notes.txt'), 'new');
    const error = await lane.down().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WouldLoseWorkError);
    expect(isIsolaneError(error) && error.data).toMatchObject({ files: [' M README.md', '?? notes.txt'] });
    expect(await fsp.readFile(path.join(lane.path, 'notes.txt'), 'utf8')).toBe('new');
    expect(await branchOid('isolane/a')).toBeDefined();
    expect((await iso.list())[0]).toMatchObject({ lane: 'a', state: 'ready', dirty: 2 });
  });

  it('ignored files are not work', async () => {
    await fsp.writeFile(path.join(repo.root, '.gitignore'), 'node_modules/\n');
    await repo.git(['add', '.gitignore']);
    await repo.git(['commit', '-qm', 'ignore']);
    const lane = await iso.up('a');
    await fsp.mkdir(path.join(lane.path, 'node_modules'));
    await fsp.writeFile(path.join(lane.path, 'node_modules/x.js'), '1');
    await lane.down();
    expect(await exists(lane.path)).toBe(false);
  });

  it('refuses to lose unmerged commits; merged ones are fine', async () => {
    const lane = await iso.up('a');
    const oid = await commitFile(repo, lane.path, 'feature.txt', 'f', 'feature work');
    const error = await lane.down().catch((e: unknown) => e);
    expect(isIsolaneError(error, 'WOULD_LOSE_WORK')).toBe(true);
    expect((error as Error).message).toContain('feature work');
    expect(await branchOid('isolane/a')).toBe(oid);
    // once main has it, the lane can go
    await repo.git(['merge', '--ff-only', '-q', 'isolane/a']);
    expect((await iso.list())[0]).toMatchObject({ ahead: 0, merged: true });
    await lane.down();
    expect(await branchOid('isolane/a')).toBeUndefined();
    expect((await repo.git(['rev-parse', 'main'])).trim()).toBe(oid);
  });

  it('--keep-branch keeps the commits on the branch', async () => {
    const lane = await iso.up('a');
    const oid = await commitFile(repo, lane.path, 'feature.txt', 'f');
    const report = await lane.down({ keepBranch: true });
    expect(report.keptBranch?.name).toBe('isolane/a');
    expect(await exists(lane.path)).toBe(false);
    expect(await branchOid('isolane/a')).toBe(oid);
  });

  it('a refusal suggests --keep-branch only where it would succeed', async () => {
    const lane = await iso.up('a');
    await commitFile(repo, lane.path, 'feature.txt', 'f');
    await fsp.writeFile(path.join(lane.path, 'draft.txt'), 'not committed');
    const dirty = await repo.cli(['down', 'a']);
    expect(dirty.code).toBe(3);
    expect(dirty.stderr).not.toContain('--keep-branch');
    expect((await repo.cli(['down', 'a', '--keep-branch'])).code, 'uncommitted files: --keep-branch is refused too').toBe(3);
    await fsp.rm(path.join(lane.path, 'draft.txt'));
    const committed = await repo.cli(['down', 'a']);
    expect(committed.code).toBe(3);
    expect(committed.stderr).toContain('--keep-branch');
    expect((await repo.cli(['down', 'a', '--keep-branch'])).code, 'as suggested').toBe(0);
  });

  it('a commit only reachable from a detached checkout also counts as work', async () => {
    const lane = await iso.up('a');
    await repo.git(['checkout', '-q', '--detach'], lane.path);
    await commitFile(repo, lane.path, 'detached.txt', 'd', 'detached work');
    await expect(lane.down({ keepBranch: true })).rejects.toMatchObject({ code: 'WOULD_LOSE_WORK' });
  });

  it('--force removes everything and reports exactly what it deleted', async () => {
    const lane = await iso.up('a');
    const oid = await commitFile(repo, lane.path, 'feature.txt', 'f', 'feature work');
    await fsp.writeFile(path.join(lane.path, 'scratch.txt'), 's');
    const report = await lane.down({ force: true });
    expect(report.discarded.files).toEqual(['?? scratch.txt']);
    expect(report.discarded.commits).toEqual([{ oid, subject: 'feature work', tip: 'isolane/a' }]);
    expect(report.deletedBranch).toEqual({ name: 'isolane/a', oid });
    expect(await exists(lane.path)).toBe(false);
    expect(await branchOid('isolane/a')).toBeUndefined();
    // the commit is kept under the discarded namespace the report names, so it cannot be pruned
    expect(report.discarded.keptUnder).toMatch(/^refs\/isolane\/discarded\/a\/\d{8}T\d{6}Z$/);
    expect((await repo.git(['rev-parse', `${report.discarded.keptUnder!}/refs/heads/isolane/a`])).trim()).toBe(oid);
  });

  it('never deletes a branch that moved after it was checked (compare-and-swap)', async () => {
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
    expect(await branchOid('isolane/a')).toBe(landed);
  });

  it('a file written after the check but before the removal still stops it, changing nothing', async () => {
    const lane = await iso.up('a');
    const racing = await Isolane.open({
      cwd: repo.root,
      env: repo.env,
      checkpoint: async (name) => {
        if (name === 'down:removing') await fsp.writeFile(path.join(lane.path, 'late.txt'), 'written meanwhile');
      },
    });
    const error = await racing.down('a').catch((e: unknown) => e);
    expect(isIsolaneError(error, 'WOULD_LOSE_WORK')).toBe(true);
    expect(isIsolaneError(error) && error.data).toMatchObject({ files: ['?? late.txt'] });
    expect(await fsp.readFile(path.join(lane.path, 'late.txt'), 'utf8')).toBe('written meanwhile');
    expect(await branchOid('isolane/a')).toBeDefined();
    expect((await iso.list())[0]).toMatchObject({ lane: 'a', state: 'ready', dirty: 1 });
  });

  it('an unknown lane is LANE_NOT_FOUND', async () => {
    await expect(iso.down('nope')).rejects.toMatchObject({ code: 'LANE_NOT_FOUND' });
  });
});

describe('ls reconciles the journal with reality', () => {
  it('shows ahead/behind, dirty and merged', async () => {
    const lane = await iso.up('a');
    await commitFile(repo, lane.path, 'x.txt', 'x');
    await commitFile(repo, repo.root, 'y.txt', 'y');
    await commitFile(repo, repo.root, 'z.txt', 'z');
    await fsp.writeFile(path.join(lane.path, 'dirty.txt'), 'd');
    expect(await iso.list()).toEqual([
      expect.objectContaining({ lane: 'a', state: 'ready', strategy: 'worktree', branch: 'isolane/a', ahead: 1, behind: 2, merged: false, dirty: 1 }),
    ]);
  });

  it('shows a lane whose directory vanished as missing, and down cleans it up', async () => {
    const lane = await iso.up('a');
    await fsp.rm(lane.path, { recursive: true });
    expect((await iso.list())[0]).toMatchObject({ lane: 'a', state: 'missing' });
    await iso.down('a');
    expect(await iso.list()).toEqual([]);
    expect(await branchOid('isolane/a')).toBeUndefined();
    expect(await repo.git(['worktree', 'list', '--porcelain'])).not.toContain('repo.lanes');
  });

  it('shows a worktree isolane made but has no record of as an orphan; down removes it safely', async () => {
    await iso.up('a');
    await fsp.rm(path.join(repo.root, '.git/isolane/lanes/a.json'));
    expect((await iso.list())[0]).toMatchObject({ lane: 'a', state: 'orphan', branch: 'isolane/a' });
    const lane = path.join(repo.lanesRoot, 'a');
    await commitFile(repo, lane, 'w.txt', 'w');
    await expect(iso.down('a')).rejects.toMatchObject({ code: 'WOULD_LOSE_WORK' });
    await iso.down('a', { force: true });
    expect(await iso.list()).toEqual([]);
  });

  it('shows a corrupt record instead of failing', async () => {
    await iso.up('a');
    await fsp.writeFile(path.join(repo.root, '.git/isolane/lanes/a.json'), '{ not json');
    const lanes = await iso.list();
    expect(lanes.find((l) => l.state === 'corrupt')).toMatchObject({ lane: 'a' });
  });
});

describe('run and the library API', () => {
  it('runs in the lane with ISOLANE_* set and passes the exit code through', async () => {
    const lane = await iso.up('a');
    const result = await lane.run(['sh', '-c', 'echo "$PWD|$ISOLANE_LANE|$ISOLANE_BRANCH|$ISOLANE_PATH"; exit 7']);
    expect(result.exitCode).toBe(7);
    expect(result.stdout.trim()).toBe(`${lane.path}|a|isolane/a|${lane.path}`);
    expect(await iso.path('a')).toBe(lane.path);
  });

  it('await using removes a clean lane at the end of the scope', async () => {
    let lanePath: string;
    {
      await using lane = await iso.up('scoped');
      lanePath = lane.path;
      expect(await exists(lanePath)).toBe(true);
    }
    expect(await exists(lanePath)).toBe(false);
    expect(await branchOid('isolane/scoped')).toBeUndefined();
  });
});
