// @module-tag slow (the throughput benchmark): the full suite only, not `npm run test:fast`
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { addNodeProject, nodeProjectFixture, parseReport, runAgents, sharedDirBaseline, type AgentReport, type AgentSlot } from '../../bench/scenarios/throughput.js';
import { Isolane } from '../../src/index.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe('throughput workload', () => {
  it('the node project installs offline from its vendored tarballs, with an empty npm cache', async () => {
    const dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-node-project-')));
    try {
      const project = path.join(dir, 'p');
      await fsp.cp(nodeProjectFixture(), project, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
      const lockBefore = await fsp.readFile(path.join(project, 'package-lock.json'), 'utf8');
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, npm_config_cache: path.join(dir, 'npm-cache') };
      await execFileP('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: project, env, timeout: 60_000 });
      for (const pkg of ['debug', 'ms', 'escape-html', 'on-finished', 'ee-first']) {
        expect(await exists(path.join(project, 'node_modules', pkg, 'package.json'))).toBe(true);
      }
      expect(await fsp.readFile(path.join(project, 'package-lock.json'), 'utf8')).toBe(lockBefore);
      // every resolved tarball is vendored, so nothing can come from the network
      const lock = JSON.parse(lockBefore) as { packages: Record<string, { resolved?: string }> };
      for (const [key, entry] of Object.entries(lock.packages)) {
        if (key === '') continue;
        expect(entry.resolved).toMatch(/^file:vendor\/[\w.-]+\.tgz$/);
        expect(await exists(path.join(project, entry.resolved!.slice('file:'.length)))).toBe(true);
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('agents in worktree lanes all succeed and each commits on its own branch', async () => {
    repo = await makeRepo();
    await addNodeProject(repo.root, repo.env);
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env });
    const reports = new Map<string, AgentReport | undefined>();
    const slots: AgentSlot[] = [];
    for (const [lane, agent] of [
      ['a', 'agent-1'],
      ['b', 'agent-2'],
    ] as const) {
      await iso.up(lane);
      slots.push({
        name: agent,
        run: async (argv) => {
          const result = await iso.run(lane, argv, { stdio: 'pipe' });
          reports.set(agent, parseReport(result.stdout, agent));
          return result;
        },
      });
    }

    const point = await runAgents(slots, { projectDir: 'app', timeoutMs: 90_000 });
    expect(point).toMatchObject({ agents: 2, tasks: 2, failures: 0, failureNotes: [] });
    expect(point.seconds).toBeGreaterThan(0);
    expect(point.tasksPerMinute).toBeCloseTo((2 * 60) / point.seconds, 1);
    for (const [lane, agent] of [
      ['a', 'agent-1'],
      ['b', 'agent-2'],
    ] as const) {
      const report = reports.get(agent);
      expect(report?.devServerCrashed).toBe(false);
      expect(report?.steps.map((s) => s.step)).toEqual([
        'npm ci',
        'npm run build',
        'dev server start',
        expect.stringMatching(/^npm install (bytes|ms)$/),
        'edit',
        'dev server reload',
        'npm run build',
        'npm test',
        'dev server check',
        'git commit',
      ]);
      // one new commit on the lane's branch, by the agent, with its feature and nobody else's
      const log = await repo.git(['log', '--format=%an', `main..isolane/${lane}`]);
      expect(log.trim().split('\n')).toEqual([agent]);
      const files = (await repo.git(['diff', '--name-only', 'main', `isolane/${lane}`])).trim().split('\n');
      expect(files).toContain(`app/src/features/${agent}.js`);
      expect(files).toContain('app/src/data/products.json');
      expect(files.filter((f) => f.includes('/features/'))).toHaveLength(1);
      await iso.down(lane, { force: true });
    }
  });

  it("the workload does not depend on the repository's ignore rules or attributes", async () => {
    // Like express, which ignores package-lock.json, and worse: the workload's every kind of file.
    repo = await makeRepo({
      files: {
        'README.md': 'subject\n',
        '.gitignore': 'package-lock.json\n*.json\n*.tgz\nfeatures/\ntools/\n*.js\n*.mjs\n',
        '.gitattributes': '* text eol=crlf\n*.tgz filter=lfs diff=lfs merge=lfs\n',
      },
    });
    await addNodeProject(repo.root, repo.env);
    const tracked = (await repo.git(['ls-files', '--', 'app'])).split('\n');
    expect(tracked).toEqual(
      expect.arrayContaining(['app/.gitignore', 'app/.gitattributes', 'app/package-lock.json', 'app/package.json', 'app/tools/agent-task.mjs', 'app/vendor/ms-2.1.3.tgz', 'app/src/features/free-shipping.js']),
    );
    const iso = await Isolane.open({ cwd: repo.root, env: repo.env });
    await iso.up('a');
    const lockfile = path.join(await iso.path('a'), 'app', 'package-lock.json');
    // Checked out byte for byte: no CRLF from the repository's attributes.
    expect(await fsp.readFile(lockfile, 'utf8')).toBe(await fsp.readFile(path.join(nodeProjectFixture(), 'package-lock.json'), 'utf8'));
    const point = await runAgents([{ name: 'agent-1', run: (argv) => iso.run('a', argv, { stdio: 'pipe' }) }], { projectDir: 'app', timeoutMs: 90_000 });
    expect(point).toMatchObject({ tasks: 1, failures: 0, failureNotes: [] });
    expect(point.failed).toBeUndefined();
    // Its commit holds what it wrote, ignored or not.
    const files = (await repo.git(['diff', '--name-only', 'main', 'isolane/a'])).trim().split('\n').sort();
    expect(files).toEqual(['app/package-lock.json', 'app/package.json', 'app/src/data/products.json', 'app/src/features/agent-1.js']);
    await iso.down('a', { force: true });
  });

  it('agents sharing one directory: the baseline reports sane numbers and leaves the directory as it was', async () => {
    repo = await makeRepo();
    await addNodeProject(repo.root, repo.env);
    const head = (await repo.git(['rev-parse', 'HEAD'])).trim();

    const point = await sharedDirBaseline(repo.root, 3, { env: repo.env, timeoutMs: 90_000 });
    expect(point).toMatchObject({ agents: 3, tasks: 3 });
    expect(point.failures).toBeGreaterThanOrEqual(0);
    expect(point.failures).toBeLessThanOrEqual(3);
    expect(point.failureNotes.length).toBeGreaterThanOrEqual(point.failures);
    // a failed task failed at some step (collisions count those)
    expect(point.collisions).toBeGreaterThanOrEqual(point.failures);
    expect(point.corruptedLockfiles).toBeGreaterThanOrEqual(0);
    expect(point.corruptedLockfiles).toBeLessThanOrEqual(3);
    expect(point.tasksPerMinute).toBeCloseTo(((3 - point.failures) * 60) / point.seconds, 1);

    // reset to where it was, and clean: no agent commit, no node_modules, dist or port file
    expect((await repo.git(['rev-parse', 'HEAD'])).trim()).toBe(head);
    expect(await repo.git(['status', '--porcelain', '--ignored'])).toBe('');
  });

  it('addNodeProject refuses to overwrite, and the baseline refuses a dirty directory', async () => {
    repo = await makeRepo();
    await addNodeProject(repo.root, repo.env);
    await expect(addNodeProject(repo.root, repo.env)).rejects.toThrow(/exists already/);
    await fsp.writeFile(path.join(repo.root, 'work.txt'), 'unsaved');
    await expect(sharedDirBaseline(repo.root, 2, { env: repo.env })).rejects.toThrow(/uncommitted changes/);
    expect(await fsp.readFile(path.join(repo.root, 'work.txt'), 'utf8')).toBe('unsaved');
  });
});
