import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/results.js';
import { CLI } from '../helpers/repo.js';
import { createContext } from '../../src/context.js';
import { dockerClient } from '../../src/docker/client.js';
import { dockerAvailable } from '../helpers/docker.js';

const execFileP = promisify(execFile);

// `isolane bench` end to end, every scenario once on the tiny fixture, so the harness cannot rot.
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-bench-cli-')));
  await fsp.mkdir(path.join(dir, 'home'));
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.join(dir, 'home'), TMPDIR: dir, LC_ALL: 'C' };
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function cli(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env, timeout: 600_000, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('isolane bench', () => {
  it('measures every scenario outside a repository and writes all four reports', { timeout: 600_000 }, async () => {
    const docker = await dockerAvailable('bench-cli.test.ts');
    const out = path.join(dir, 'reports');
    const r = await cli(['bench', '--fixture', 'tiny', '--rounds', '1', '--agents', '1,2', '--out', out], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(await fsp.readFile(path.join(out, 'report.json'), 'utf8')) as BenchResults;
    expect(results).toMatchObject({ version: 1, subject: { kind: 'fixture', preset: 'tiny' }, agents: [1, 2], rounds: 1 });
    expect(results.host.cores).toBeGreaterThan(0);
    expect(results.host.git).toMatch(/^\d+\.\d+/);
    const labels = results.strategies.map((s) => s.label);
    expect(labels).toEqual(['worktree', 'clone (full)', ...(docker ? ['container'] : [])]);
    if (!docker) expect(results.skipped).toEqual([{ strategy: 'container', reason: expect.stringMatching(/docker/i) as unknown }]);
    for (const s of results.strategies) {
      expect(s.create.a.runs).toBe(1);
      expect(s.destroy.b.p50).toBeGreaterThan(0);
      expect(s.disk.one.lanes).toBe(1);
      expect(s.disk.many.lanes).toBe(2);
      expect(s.disk.one.apparentBytesPerLane).toBeGreaterThan(0);
      expect(s.disk.one.rawFsBytesPerLane).toBeGreaterThan(0);
    }
    const worktree = results.strategies.find((s) => s.strategy === 'worktree');
    const clone = results.strategies.find((s) => s.label === 'clone (full)');
    const container = results.strategies.find((s) => s.strategy === 'container');
    // One fetch serves every worktree lane; each clone lane fetches for itself.
    expect(worktree?.fetch).toMatchObject({ lanes: 2, fetches: 1 });
    expect(clone?.fetch).toMatchObject({ lanes: 2, fetches: 2 });
    if (docker) expect(container?.fetch).toMatchObject({ lanes: 2, fetches: 2 });
    // The agents' task runs in every kind of lane, containers included (global setup builds the Node image).
    for (const s of [worktree, clone, ...(docker ? [container] : [])]) {
      expect(s?.throughput.map((p) => [p.agents, p.tasks, p.failures])).toEqual([
        [1, 1, 0],
        [2, 2, 0],
      ]);
    }
    expect(results.sharedDir.map((p) => [p.agents, p.tasks])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(r.stdout).toMatch(/Create and destroy/);
    expect(r.stdout).toMatch(/a fixture was measured: no repository keeps these results/);
    expect(await fsp.readFile(path.join(out, 'report.md'), 'utf8')).toMatch(/^## isolane bench/m);
    expect(await fsp.readFile(path.join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    // Nothing of the bench's own is left behind: no work directory, no container over it.
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('isolane-bench-'))).toEqual([]);
    if (docker) {
      const { docker: engine } = dockerClient(createContext());
      const left = (await engine.listContainers({ all: true })).filter((c) => c.Mounts.some((m) => m.Source.startsWith(dir)) || c.Labels['isolane.bench']);
      expect(left.map((c) => c.Names)).toEqual([]);
    }
  });

  it('inside a repository, measures a copy of it and keeps the results for the policy', { timeout: 600_000 }, async () => {
    const repo = path.join(dir, 'mine');
    const git = (args: readonly string[]) => execFileP('git', [...args], { cwd: repo, env: { ...env, GIT_CONFIG_NOSYSTEM: '1' } });
    await fsp.mkdir(repo);
    await git(['init', '-q', '-b', 'main']);
    await fsp.writeFile(path.join(repo, 'README.md'), 'mine\n');
    await git(['add', '.']);
    await git(['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'init']);
    // Clones are measured in the mode this repository uses: the measurement its policy reads.
    await fsp.writeFile(path.join(repo, 'isolane.yaml'), 'clone:\n  mode: blobless\n');
    const r = await cli(['bench', '--strategies', 'worktree,clone', '--rounds', '1', '--agents', '1', '--json'], repo);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as BenchResults;
    expect(results.subject).toEqual({ kind: 'repo', path: repo });
    expect(results.strategies.map((s) => s.label)).toEqual(['worktree', 'clone (blobless)']);
    const stored = JSON.parse(await fsp.readFile(path.join(repo, '.git', 'isolane', 'bench', 'latest.json'), 'utf8')) as BenchResults;
    expect(stored.createdAt).toBe(results.createdAt);
    // The user's repository got no lanes, branches or files from the bench.
    expect((await fsp.readdir(repo)).sort()).toEqual(['.git', 'README.md', 'isolane.yaml']);
    expect(await fsp.readdir(path.join(repo, '.git', 'refs', 'heads'))).toEqual(['main']);
    const explain = await cli(['policy', 'explain', '--json'], repo);
    const facts = (JSON.parse(explain.stdout) as { facts: { benchedAt: string; diskPerLane: Record<string, number> } }).facts;
    expect(facts.benchedAt).toBe(results.createdAt);
    expect(Object.keys(facts.diskPerLane).sort()).toEqual(['clone', 'worktree']);
  });

  it('refuses bad options before doing anything', async () => {
    for (const args of [['--strategies', 'vm'], ['--agents', '0'], ['--rounds', 'x'], ['--fixture', 'huge'], ['--repo', '.', '--fixture', 'tiny']]) {
      const r = await cli(['bench', ...args], dir);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('isolane-bench'))).toEqual([]);
  });
});
