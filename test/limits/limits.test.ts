import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { Project } from '../../src/engine/project.js';
import { laneConfinement, removeLaneCgroup, staleLaneCgroups } from '../../src/limits/confine.js';
import { CGROUP_ROOT, probeCgroups } from '../../src/limits/probe.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);

/** This host's cgroups: the tests that cap real processes need them writable (root, or a delegated tree). */
const host = await probeCgroups();
const v1 = host.mode === 'v1';

const ALLOC_1G = 'const a = []; for (let i = 0; i < 16; i++) a.push(Buffer.alloc(64 << 20).fill(1)); console.log("allocated")';
/**
 * Allocates `mib` and touches it, says so with a file of its own, then holds it until the other's
 * file is there (or 10 s passed): two of them hold their memory at one moment, or one is killed.
 */
const HOLD = (mib: number): string =>
  `const fs = require('fs'); const [, dir, me, other] = process.argv; const a = []; for (let i = 0; i < ${mib / 8}; i++) a.push(Buffer.alloc(8 << 20).fill(1));` +
  ` fs.writeFileSync(dir + '/' + me, ''); const t0 = Date.now();` +
  ` const wait = () => (fs.existsSync(dir + '/' + other) || Date.now() - t0 > 10000 ? setTimeout(() => console.log('held', a.length), 300) : setTimeout(wait, 50)); wait();`;

let repo: TestRepo | undefined;
const slices = new Set<string>();

async function repoWith(config: string): Promise<TestRepo> {
  repo = await makeRepo();
  await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), config);
  return repo;
}

async function up(r: TestRepo, lane: string): Promise<void> {
  const result = await r.cli(['up', lane]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** The lane's cgroup path in each hierarchy, as the command itself sees it (/proc/self/cgroup). */
async function cgroupsSeen(r: TestRepo, lane: string): Promise<Record<string, string>> {
  const result = await r.cli(['run', lane, '--', 'cat', '/proc/self/cgroup']);
  expect(result.code).toBe(0);
  const seen: Record<string, string> = {};
  for (const line of result.stdout.trim().split('\n')) {
    const [, controllers = '', where = ''] = line.split(':');
    for (const c of controllers.split(',')) seen[c] = where;
  }
  return seen;
}

const read = (file: string): Promise<string> => fsp.readFile(file, 'utf8').then((t) => t.trim());
const isDir = (dir: string): Promise<boolean> => fsp.stat(dir).then((s) => s.isDirectory(), () => false);

afterEach(async () => {
  if (repo) {
    // Lanes first (down removes their cgroups), then the repository's slices this test made.
    const ls = await repo.cli(['ls', '--json']);
    for (const l of (JSON.parse(ls.stdout || '[]') as Array<{ lane: string }>)) await repo.cli(['down', l.lane, '--force']);
    const id = (await Project.open(createContext({ cwd: repo.root, env: repo.env }))).repo.id;
    for (const c of ['memory', 'cpu', 'pids']) slices.add(path.join(CGROUP_ROOT, c, 'isolane', id));
    await repo.cleanup();
    repo = undefined;
  }
});
afterAll(async () => {
  for (const dir of slices) await fsp.rmdir(dir).catch(() => undefined);
});

describe.skipIf(!v1 || !host.available)(`host lanes in cgroups (${host.available ? host.detail : `skipped: ${host.reason}`})`, () => {
  it('a lane over its memory limit is killed; a lane beside it runs on to the end', async () => {
    const r = await repoWith('limits: { memory: 256m }\n');
    await up(r, 'hog');
    await up(r, 'calm');
    const ticks = path.join(r.lanesRoot, 'calm', 'ticks');
    const [hog, calm] = await Promise.all([
      r.cli(['run', 'hog', '--', process.execPath, '-e', ALLOC_1G]),
      r.cli(['run', 'calm', '--', 'sh', '-c', 'for i in 1 2 3 4 5 6; do echo $i >> ticks; sleep 0.5; done; echo finished']),
    ]);
    // The kernel's OOM killer: SIGKILL, which isolane run reports as 128 + 9.
    expect(hog.code).toBe(137);
    expect(hog.stdout).not.toContain('allocated');
    expect(calm.code).toBe(0);
    expect(calm.stdout).toContain('finished');
    expect((await read(ticks)).split('\n')).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('pids caps processes, and the command runs in the lane cgroup of each hierarchy; down removes them all', async () => {
    const r = await repoWith('limits: { memory: 512m, cpus: 1.5, pids: 20 }\n');
    await up(r, 'forks');
    const seen = await cgroupsSeen(r, 'forks');
    const own = seen.pids ?? '';
    expect(own).toMatch(/^\/isolane\/[0-9a-f]{12}\/forks$/);
    expect(seen.memory).toBe(own);
    expect(seen.cpu).toBe(own);
    expect(await read(path.join(CGROUP_ROOT, 'pids', own, 'pids.max'))).toBe('20');
    expect(await read(path.join(CGROUP_ROOT, 'memory', own, 'memory.limit_in_bytes'))).toBe(String(512 * 2 ** 20));
    expect(await read(path.join(CGROUP_ROOT, 'cpu', own, 'cpu.cfs_quota_us'))).toBe('150000');

    // 50 background sleeps: the shell cannot fork past the cap.
    const started = path.join(r.lanesRoot, 'forks', 'started');
    const bomb = await r.cli(['run', 'forks', '--', 'sh', '-c', 'for i in $(seq 50); do sleep 30 >/dev/null 2>&1 & echo $! >> started; done; echo all-started']);
    const pids = (await read(started).catch(() => '')).split('\n').filter(Boolean);
    expect(bomb.stdout).not.toContain('all-started');
    expect(bomb.code).not.toBe(0);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.length).toBeLessThan(20);
    // While they run, the lane's cgroup is kept and down says why; once they are gone, it goes.
    for (const pid of pids) {
      expect((await read(`/proc/${pid}/cgroup`)).split('\n').find((l) => l.includes(':pids:'))).toMatch(new RegExp(`:pids:${own}$`));
      process.kill(Number(pid), 'SIGKILL');
    }
    for (let i = 0; i < 50 && (await read(path.join(CGROUP_ROOT, 'pids', own, 'cgroup.procs'))) !== ''; i++) await new Promise((res) => setTimeout(res, 100));
    const down = await r.cli(['down', 'forks', '--force']);
    expect(down.code).toBe(0);
    expect(down.stderr).not.toContain('cgroup');
    for (const c of ['memory', 'cpu', 'pids']) {
      expect(await isDir(path.join(CGROUP_ROOT, c, own))).toBe(false);
      // The repository's slice stays.
      expect(await isDir(path.join(CGROUP_ROOT, c, path.dirname(own)))).toBe(true);
    }
  });

  it('the budget caps all lanes together: a slice above the lanes, which share it', async () => {
    const r = await repoWith('limits: { memory: 256m }\nbudget: { memory: 300m, cpus: 1 }\n');
    await up(r, 'one');
    await up(r, 'two');
    const [a, b] = await Promise.all([
      r.cli(['run', 'one', '--', process.execPath, '-e', HOLD(200), r.dir, 'one.held', 'two.held']),
      r.cli(['run', 'two', '--', process.execPath, '-e', HOLD(200), r.dir, 'two.held', 'one.held']),
    ]);
    // 400 MiB do not fit in 300: the kernel kills one of them (under load, the OOM killer may take
    // the second too before the first one's memory is freed); never do both go on.
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stdout}${a.stderr} / ${b.stdout}${b.stderr}`).toContain(137);
    expect(codes.every((c) => c === 0 || c === 137), `${a.stdout}${a.stderr} / ${b.stdout}${b.stderr}`).toBe(true);
    const own = (await cgroupsSeen(r, 'one')).memory ?? '';
    const slice = path.join(CGROUP_ROOT, 'memory', path.dirname(own));
    expect(await read(path.join(slice, 'memory.limit_in_bytes'))).toBe(String(300 * 2 ** 20));
    expect(await read(path.join(CGROUP_ROOT, 'cpu', path.dirname(own), 'cpu.cfs_quota_us'))).toBe('100000');
    expect(await isDir(path.join(slice, 'one'))).toBe(true);
    expect(await isDir(path.join(slice, 'two'))).toBe(true);
  });

  it('set-up steps run in the lane cgroup too', async () => {
    const r = await repoWith('limits: { pids: 64 }\nsetup:\n  - [sh, -c, "cat /proc/self/cgroup > setup-cgroup"]\n');
    await up(r, 'made');
    expect(await read(path.join(r.lanesRoot, 'made', 'setup-cgroup'))).toMatch(/:pids:\/isolane\/[0-9a-f]{12}\/made$/m);
    // ls --json tells what the lane's cgroup holds (the set-up's page cache at least).
    const [made] = JSON.parse((await r.cli(['ls', '--json'])).stdout) as Array<{ memoryBytes?: number }>;
    expect(made?.memoryBytes).toBeTypeOf('number');
  });

  it('gc finds cgroups of lanes that are gone', async () => {
    const r = await repoWith('limits: { pids: 64 }\n');
    await up(r, 'kept');
    await cgroupsSeen(r, 'kept');
    const project = await Project.open(createContext({ cwd: r.root, env: r.env }));
    expect(await staleLaneCgroups(project, new Set(['kept']))).toEqual([]);
    expect(await staleLaneCgroups(project, new Set())).toEqual(['kept']);
    expect(await removeLaneCgroup(project, 'kept')).toEqual([]);
    expect(await staleLaneCgroups(project, new Set())).toEqual([]);
  });
});

describe('without limits, and where cgroups cannot be used', () => {
  it('no limits or budget: the command runs where isolane runs, in no isolane cgroup', async () => {
    const r = await repoWith('base: main\n');
    await up(r, 'free');
    const seen = await cgroupsSeen(r, 'free');
    expect(Object.values(seen).some((where) => where.includes('/isolane/'))).toBe(false);
    const [free] = JSON.parse((await r.cli(['ls', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(free).toBeDefined();
    expect(free).not.toHaveProperty('memoryBytes');
  });

  it('bad values are config errors naming the key', async () => {
    for (const [yaml, key] of [
      ['limits: { memory: lots }', 'limits.memory'],
      ['limits: { cpus: -1 }', 'limits.cpus'],
      ['limits: { pids: 0 }', 'limits.pids'],
      ['budget: { memory: 0 }', 'budget.memory'],
    ] as const) {
      const r = await repoWith(`${yaml}\n`);
      const result = await r.cli(['ls']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(key);
      await r.cleanup();
      repo = undefined;
    }
  });

  it('the probe says why a root that is not a cgroup filesystem, or is read-only, cannot be used', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-cgroup-'));
    try {
      const empty = await probeCgroups(dir);
      expect(empty.available).toBe(false);
      expect(empty.reason).toContain(`no memory hierarchy at ${path.join(dir, 'memory')}`);
      await fsp.mkdir(path.join(dir, 'memory'));
      const fake = await probeCgroups(dir);
      expect(fake.problems.memory).toBe(`${path.join(dir, 'memory')} is not a cgroup filesystem`);
      expect(await probeCgroups(path.join(dir, 'nothing'))).toMatchObject({ available: false, mode: undefined });
      // A real cgroup hierarchy, bound read-only (as in a container without a writable cgroupfs).
      if (v1 && host.usable.includes('memory')) {
        await execFileP('mount', ['-o', 'bind,ro', path.join(CGROUP_ROOT, 'memory'), path.join(dir, 'memory')]);
        try {
          const ro = await probeCgroups(dir);
          expect(ro.mode).toBe('v1');
          expect(ro.problems.memory).toMatch(/is mounted read-only/);
          expect(ro.usable).not.toContain('memory');
        } finally {
          await execFileP('umount', [path.join(dir, 'memory')]);
        }
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('with limits set and no usable cgroups, a command is refused, never run uncapped', async () => {
    const r = await repoWith('limits: { memory: 256m }\n');
    await up(r, 'nope');
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-cgroup-'));
    try {
      const project = await Project.open(createContext({ cwd: r.root, env: r.env }));
      const record = await project.journal.read('nope');
      expect(record).toBeDefined();
      if (!record) return;
      await expect(laneConfinement(project, record, dir)).rejects.toMatchObject({ code: 'LIMITS_UNAVAILABLE', message: expect.stringContaining('no memory hierarchy') as unknown });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('policy explain: resource-limits on the host needs limits in isolane.yaml and usable cgroups, and says which is missing', async () => {
    const workloads = 'strategy: auto\nworkloads:\n  capped:\n    needs: [resource-limits]\n';
    const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/isolane-test.sock' };
    const r = await repoWith(workloads);
    const none = await r.cli(['policy', 'explain', 'capped'], { env: NO_DOCKER });
    expect(none.stdout).toContain('not worktree: isolane.yaml sets no limits or budget');
    expect(none.code).toBe(4);
    await fsp.writeFile(path.join(r.root, 'isolane.yaml'), `${workloads}limits: { memory: 1g }\n`);
    const capped = await r.cli(['policy', 'explain', 'capped'], { env: NO_DOCKER });
    if (host.available) {
      expect(capped.code).toBe(0);
      expect(capped.stdout).toMatch(/^workload capped: worktree/);
      expect(capped.stdout).toContain('cgroups can cap host lanes');
    } else {
      expect(capped.stdout).toContain(`cannot cap host lanes here: cgroups unusable (${host.reason ?? ''}`);
    }
  });
});
