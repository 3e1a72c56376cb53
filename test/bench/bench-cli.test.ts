import { execFile, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { canMount } from '../../src/snapshot/privilege.js';
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

function cli(args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...env, ...extraEnv }, timeout: 600_000, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Another process busy on the same filesystem: writes a 200 MiB file, deletes it, again, until
 * stopped. Resolves, once stopped, to how many files it wrote.
 */
function churn(where: string): { stop: () => Promise<number> } {
  const script = `const fs = require('node:fs');
const file = process.argv[1];
const chunk = Buffer.alloc(2 ** 20, 1);
let n = 0;
process.on('SIGTERM', () => { fs.rmSync(file, { force: true }); process.stdout.write(String(n)); process.exit(0); });
(async () => {
  for (;;) {
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 200; i++) { fs.writeSync(fd, chunk); if (i % 20 === 0) await new Promise((r) => setImmediate(r)); }
    fs.closeSync(fd);
    n++;
    await new Promise((r) => setTimeout(r, 50));
    fs.rmSync(file, { force: true });
  }
})();`;
  const child = spawn(process.execPath, ['-e', script, path.join(where, 'churn.bin')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let written = '';
  child.stdout.on('data', (d: Buffer) => (written += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return Number(written);
    },
  };
}

/** Disk per lane of every measure of a run, by strategy and lane count (and the raw tool's). */
function diskFigures(results: BenchResults): Map<string, number> {
  const figures = new Map<string, number>();
  for (const s of results.strategies) {
    for (const d of [s.disk.one, s.disk.many]) figures.set(`${s.label}, ${d.lanes} lane(s)`, d.fsBytesPerLane);
    if (s.disk.one.rawFsBytesPerLane !== undefined) figures.set(`${s.label}, raw`, s.disk.one.rawFsBytesPerLane);
  }
  return figures;
}

describe('isolane bench', () => {
  it('measures every scenario outside a repository and writes all four reports, disk right while another process churns the filesystem', { timeout: 900_000 }, async () => {
    const docker = await dockerAvailable('bench-cli.test.ts');
    const out = path.join(dir, 'reports');
    // The same measure on a quiet filesystem first: disk per lane must not depend on what else writes.
    const quietOut = path.join(dir, 'quiet');
    const quiet = await cli(['bench', '--fixture', 'tiny', '--rounds', '1', '--agents', '2', '--out', quietOut], dir);
    expect(quiet.code, quiet.stderr).toBe(0);
    const quietDisk = diskFigures(JSON.parse(await fsp.readFile(path.join(quietOut, 'report.json'), 'utf8')) as BenchResults);
    const busy = churn(dir);
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      r = await cli(['bench', '--fixture', 'tiny', '--rounds', '1', '--agents', '1,2', '--out', out], dir);
    } finally {
      expect(await busy.stop()).toBeGreaterThan(0);
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = JSON.parse(await fsp.readFile(path.join(out, 'report.json'), 'utf8')) as BenchResults;
    expect(results).toMatchObject({ version: 1, subject: { kind: 'fixture', preset: 'tiny' }, agents: [1, 2], rounds: 1 });
    expect(results.host.cores).toBeGreaterThan(0);
    expect(results.host.git).toMatch(/^\d+\.\d+/);
    const labels = results.strategies.map((s) => s.label);
    const mounts = await canMount(); // snapshot lanes need a way to mount: root here and in CI
    expect(labels).toEqual(['worktree', 'clone (full)', ...(docker ? ['container'] : []), ...(mounts ? ['snapshot'] : [])]);
    if (!docker) expect(results.skipped).toEqual([{ strategy: 'container', reason: expect.stringMatching(/docker/i) as unknown }]);
    for (const s of results.strategies) {
      expect(s.create.a.runs).toBe(1);
      expect(s.destroy.b.p50).toBeGreaterThan(0);
      expect(s.disk.one.lanes).toBe(1);
      expect(s.disk.many.lanes).toBe(2);
      expect(s.disk.one.apparentBytesPerLane).toBeGreaterThan(0);
      expect(s.disk.one.rawFsBytesPerLane).toBeGreaterThan(0);
    }
    // Walked, not a statfs difference: the churn's 200 MiB never count, a lane's own blocks always do.
    const busyDisk = diskFigures(results);
    expect([...busyDisk.keys()].sort()).toEqual([...quietDisk.keys()].sort());
    for (const [measure, bytes] of busyDisk) {
      expect(bytes, measure).toBeGreaterThan(0);
      expect(Math.abs(bytes - (quietDisk.get(measure) ?? 0)), `${measure}: ${bytes} under churn, ${quietDisk.get(measure)} quiet`).toBeLessThanOrEqual(0.1 * bytes);
    }
    const worktree = results.strategies.find((s) => s.strategy === 'worktree');
    const clone = results.strategies.find((s) => s.label === 'clone (full)');
    const container = results.strategies.find((s) => s.strategy === 'container');
    const snapshot = results.strategies.find((s) => s.strategy === 'snapshot');
    // One fetch serves every worktree (and snapshot) lane; each clone lane fetches for itself.
    expect(worktree?.fetch).toMatchObject({ lanes: 2, fetches: 1 });
    if (mounts) expect(snapshot?.fetch).toMatchObject({ lanes: 2, fetches: 1 });
    expect(clone?.fetch).toMatchObject({ lanes: 2, fetches: 2 });
    if (docker) expect(container?.fetch).toMatchObject({ lanes: 2, fetches: 2 });
    // The agents' task runs in every kind of lane, containers included (global setup builds the Node image).
    for (const s of [worktree, clone, ...(docker ? [container] : []), ...(mounts ? [snapshot] : [])]) {
      expect(s?.throughput.map((p) => [p.agents, p.tasks, p.failures])).toEqual([
        [1, 1, 0],
        [2, 2, 0],
      ]);
    }
    expect(results.sharedDir.map((p) => [p.agents, p.tasks])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // Lane creation with dependencies: a fresh npm ci and every share mode, each lane built and tested.
    expect(results.dependencies?.map((d) => [d.mode, d.up.runs, d.failed])).toEqual(['fresh', 'copy', 'hardlink', 'symlink', 'reflink', 'auto'].map((m) => [m, 1, undefined]));
    // Each command through the CLI beside node plus the raw commands, every row with a ratio and a verdict.
    const cliRows = results.cliOverhead?.rows ?? [];
    const updown = (label: string): string[] => [`isolane up, ${label}`, `isolane down, ${label}`];
    expect(cliRows.map((row) => row.command)).toEqual([
      'isolane --version',
      'isolane path <lane>',
      'isolane ls, 1 lane',
      ...updown('worktree'),
      ...updown('clone (full)'),
      ...(docker ? updown('container') : []),
      'isolane ls, 64 lanes',
    ]);
    for (const row of cliRows) {
      expect(Number.isFinite(row.ratio), row.command).toBe(true);
      expect(row.met, row.command).toBe(row.ratio <= row.goal);
    }
    expect(results.cliOverhead?.tmpfs).toBe(mounts);
    expect(r.stdout).toMatch(/^CLI overhead: each command as users run it/m);
    expect(r.stdout).toMatch(/^isolane ls, 64 lanes .+CPU <= 1\.30x: (?:met|MISSED)/m);
    expect(r.stdout).toMatch(/Lane creation with dependencies/);
    expect(r.stdout).toMatch(/Create and destroy/);
    expect(r.stdout).toMatch(/a fixture was measured: no repository keeps these results/);
    expect(await fsp.readFile(path.join(out, 'report.md'), 'utf8')).toMatch(/^## isolane bench/m);
    expect(await fsp.readFile(path.join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    // Nothing of the bench's own is left behind: no work directory, no container over it.
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('isolane-bench-'))).toEqual([]);
    if (docker) {
      const { docker: engine } = dockerClient(createContext());
      // Every container of this run, isolane's and the raw side's, mounts a directory under dir. Not
      // by the bench label alone: other bench runs on this engine (other test files) carry it too.
      const left = (await engine.listContainers({ all: true })).filter((c) => c.Mounts.some((m) => m.Source.startsWith(dir)));
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
    // The policy decides by the walked figures of the run.
    expect(facts.diskPerLane.worktree).toBe(results.strategies.find((s) => s.strategy === 'worktree')?.disk.many.fsBytesPerLane);
    expect(results.conclusion).toMatchObject({ workload: 'default', strategy: 'worktree' });
  });

  /** A repository of one commit, with `files` beside its README. */
  async function smallRepo(name: string, files: Record<string, string>): Promise<string> {
    const repo = path.join(dir, name);
    const git = (args: readonly string[]) => execFileP('git', [...args], { cwd: repo, env: { ...env, GIT_CONFIG_NOSYSTEM: '1' } });
    await fsp.mkdir(repo);
    await git(['init', '-q', '-b', 'main']);
    for (const [file, text] of Object.entries({ 'README.md': 'mine\n', ...files })) await fsp.writeFile(path.join(repo, file), text);
    await git(['add', '.']);
    await git(['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'init']);
    return repo;
  }

  it('skips container lanes when their image is missing, like a missing engine, and measures the rest', { timeout: 600_000 }, async () => {
    if (!(await dockerAvailable('bench-cli.test.ts'))) return;
    // A tag no engine has, rather than deleting the shared base image other tests use.
    const repo = await smallRepo('no-image', { 'isolane.yaml': 'container:\n  image: isolane/absent:none\n' });
    const out = path.join(dir, 'no-image-reports');
    const r = await cli(['bench', '--strategies', 'worktree,container', '--rounds', '1', '--agents', '1', '--out', out], repo);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(await fsp.readFile(path.join(out, 'report.json'), 'utf8')) as BenchResults;
    expect(results.skipped).toEqual([{ strategy: 'container', reason: expect.stringMatching(/isolane\/absent:none.*`isolane image build/) as unknown }]);
    expect(results.failures).toEqual([]);
    expect(results.strategies.map((s) => s.label)).toEqual(['worktree']);
    expect(results.strategies[0]?.throughput.map((p) => [p.agents, p.failures])).toEqual([[1, 0]]);
    for (const file of ['report.md', 'report.html']) expect(await fsp.readFile(path.join(out, file), 'utf8')).toContain('isolane image build');
    expect(r.stdout).toMatch(/container: not measured: no image isolane\/absent:none/);
  });

  it('a scenario in which every task failed is reported as failed, exits non-zero, and is not kept for the policy', { timeout: 600_000 }, async () => {
    const repo = await smallRepo('all-failed', {});
    // A host without npm (every other tool of PATH is there): every agent's install fails.
    const bin = path.join(dir, 'bin-without-npm');
    await fsp.mkdir(bin);
    for (const from of (env.PATH ?? '').split(':')) {
      for (const tool of await fsp.readdir(from).catch(() => [])) {
        // The first of a name on PATH wins, as in a shell: a later one is EEXIST.
        if (tool !== 'npm' && tool !== 'npx') await fsp.symlink(path.join(from, tool), path.join(bin, tool)).catch(() => undefined);
      }
    }
    const out = path.join(dir, 'all-failed-reports');
    const r = await cli(['bench', '--strategies', 'worktree', '--rounds', '1', '--agents', '1', '--out', out], repo, { PATH: bin });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/scenario\(s\) failed: worktree: 1 agent\(s\) at once/);
    const results = JSON.parse(await fsp.readFile(path.join(out, 'report.json'), 'utf8')) as BenchResults;
    const point = results.strategies[0]?.throughput[0];
    expect(point?.failed).toMatch(/npm/);
    expect(results.failures[0]).toMatchObject({ scenario: 'worktree: 1 agent(s) at once', strategy: 'worktree' });
    // The other scenarios were measured and every report written.
    expect(results.strategies[0]?.disk.many.fsBytesPerLane).toBeGreaterThan(0);
    expect(await fsp.readFile(path.join(out, 'report.md'), 'utf8')).toMatch(/worktree: 1 agent\(s\) at once: failed: /);
    expect(r.stdout).toMatch(/not kept for the policy/);
    await expect(fsp.access(path.join(repo, '.git', 'isolane', 'bench', 'latest.json'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses bad options before doing anything', async () => {
    for (const args of [['--strategies', 'vm'], ['--agents', '0'], ['--rounds', 'x'], ['--fixture', 'huge'], ['--repo', '.', '--fixture', 'tiny']]) {
      const r = await cli(['bench', ...args], dir);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('isolane-bench'))).toEqual([]);
  });
});
