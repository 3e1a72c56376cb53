// @module-tag slow (20 concurrent ups and real listeners): the full suite only, not `npm run test:fast`
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killCli, spawnCli } from '../helpers/crash.js';
import { CLI, exists, makeRepo, type TestRepo } from '../helpers/repo.js';
import { answerOn } from '../helpers/http.js';

/**
 * Port leases against real listeners and concurrent CLI processes. Each test takes a band of
 * ports of its own below Linux's ephemeral range, so other tests' connections never land there.
 */
let repo: TestRepo;
// Each test file has a band of its own: ports 21000-22999, env 23000-24999, ports-docker 25000-26999, dev-servers 27000-28599.
const base = 21_000 + (process.pid % 20) * 100;

beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
});

const config = (text: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);

/** Binds the port on 127.0.0.1 and 0.0.0.0 for real, then lets go: it is free. */
async function bindsNow(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (!ok) return false;
  }
  return true;
}

interface Leases {
  leases: { lane: string; name: string; port: number; listening: boolean; laneExists: boolean }[];
}

const leases = async (): Promise<Leases['leases']> => {
  const r = await repo.cli(['ports', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Leases).leases;
};

const recordPorts = async (lane: string): Promise<Record<string, number>> =>
  (JSON.parse(await fsp.readFile(path.join(repo.root, '.git/isolane/lanes', `${lane}.json`), 'utf8')) as { resources?: { ports?: Record<string, number> } }).resources?.ports ?? {};

describe('port leases', () => {
  it('20 concurrent ups get 40 distinct bindable ports; a port freed by down is leased again', async () => {
    await config(`ports:\n  range: "${base}-${base + 99}"\n  names: [web, api]\n`);
    const lanes = Array.from({ length: 20 }, (_, i) => `lane-${i}`);
    const results = await Promise.all(lanes.map((l) => repo.cli(['up', l, '--json'])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const all = await leases();
    expect(all).toHaveLength(40);
    const ports = all.map((l) => l.port);
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(base);
      expect(p).toBeLessThanOrEqual(base + 99);
      expect(await bindsNow(p)).toBe(true);
    }
    // Each lane's record holds what the lease file says, and up --json shows it.
    for (const [i, lane] of lanes.entries()) {
      const mine = all.filter((l) => l.lane === lane);
      expect(Object.fromEntries(mine.map((l) => [l.name, l.port]))).toEqual(await recordPorts(lane));
      expect((JSON.parse(results[i]?.stdout ?? '{}') as { resources?: { ports?: unknown } }).resources?.ports).toEqual(await recordPorts(lane));
    }
    const table = await repo.cli(['ports']);
    expect(table.stdout).toMatch(/^LANE\s+NAME\s+PORT\s+LISTENING\n/);
    expect(table.stdout.trim().split('\n')).toHaveLength(41);
    const freed = await recordPorts('lane-7');
    expect((await repo.cli(['down', 'lane-7'])).code).toBe(0);
    expect((await leases()).some((l) => l.lane === 'lane-7')).toBe(false);
    // The scan starts at the bottom of the range: the freed ports are the first free ones again.
    expect((await repo.cli(['up', 'again'])).code).toBe(0);
    expect(Object.values(await recordPorts('again')).sort()).toEqual(Object.values(freed).sort());
  });

  it('never leases a port a foreign process listens on; exhausting the range names it and its holders, and leaves no lane', async () => {
    const foreign = net.createServer();
    await new Promise<void>((resolve) => foreign.listen({ port: base + 1, host: '127.0.0.1' }, resolve));
    try {
      await config(`ports:\n  range: "${base}-${base + 2}"\n  names: [web, api]\n`);
      const one = await repo.cli(['up', 'one']);
      expect(one.code, one.stderr).toBe(0);
      expect(await recordPorts('one')).toEqual({ web: base, api: base + 2 });
      const full = await repo.cli(['up', 'two']);
      expect(full.code).toBe(1);
      expect(full.stderr).toContain(`${base}-${base + 2}`);
      expect(full.stderr).toContain(`one (${base}, ${base + 2})`);
      expect(full.stderr).toMatch(/isolane\.yaml:\d+:\d+ ports\.range/);
      expect(await exists(path.join(repo.lanesRoot, 'two'))).toBe(false);
      expect(await exists(path.join(repo.root, '.git/isolane/lanes/two.json'))).toBe(false);
      expect((await repo.git(['branch', '--list', 'isolane/two'])).trim()).toBe('');
      expect((await leases()).map((l) => l.lane)).toEqual(['one', 'one']);
      const json = await repo.cli(['up', 'two', '--json']);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'PORTS_EXHAUSTED', range: `${base}-${base + 2}` } });
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });

  it('reclaims leases of lanes that no longer exist; a half-made lane releases its leases', async () => {
    await config(`ports:\n  range: "${base + 10}-${base + 11}"\n  names: [web]\n`);
    const file = path.join(repo.root, '.git/isolane/ports.json');
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, JSON.stringify({ version: 1, leases: [{ port: base + 10, lane: 'ghost', name: 'web', at: '2024-01-01T00:00:00Z' }, { port: base + 11, lane: 'ghost2', name: 'web', at: '2024-01-01T00:00:00Z' }] }));
    expect((await repo.cli(['ports', '--json'])).stdout).toContain('"laneExists": false');
    expect((await repo.cli(['up', 'real'])).code).toBe(0);
    expect(await recordPorts('real')).toEqual({ web: base + 10 });
    expect((await leases()).map((l) => l.lane)).toEqual(['real']);
    // An up killed (-9) after its lease and checkout: the lease stays with its half-made lane,
    // so nobody else gets the port; the next up of that lane releases it and leases again.
    const half = spawnCli(repo, ['up', 'half'], { ISOLANE_TEST_CHECKPOINT: 'up:created' });
    await half.waitForStderr(/checkpoint up:created/);
    await killCli(half);
    expect(await recordPorts('half')).toEqual({ web: base + 11 });
    expect((await leases()).map((l) => `${l.lane}:${l.port}`)).toEqual([`real:${base + 10}`, `half:${base + 11}`]);
    expect((await repo.cli(['up', 'other'])).code).toBe(1);
    expect((await repo.cli(['up', 'half'])).code).toBe(0);
    expect((await leases()).map((l) => `${l.lane}:${l.port}`)).toEqual([`real:${base + 10}`, `half:${base + 11}`]);
    expect((await repo.cli(['down', 'half'])).code).toBe(0);
    expect((await leases()).map((l) => l.lane)).toEqual(['real']);
  });

  it('two lanes run a dev server each on their own PORT_WEB at once, and both answer', async () => {
    await config(`ports:\n  range: "${base + 20}-${base + 39}"\n  names: [web]\n`);
    for (const l of ['a', 'b']) expect((await repo.cli(['up', l])).code).toBe(0);
    const server = 'require("http").createServer((q, s) => s.end(process.env.ISOLANE_LANE + " " + process.env.PORT)).listen(Number(process.env.PORT_WEB), "127.0.0.1")';
    const children: ChildProcess[] = ['a', 'b'].map((l) => spawn(process.execPath, [CLI, 'run', l, '--', process.execPath, '-e', server], { cwd: repo.root, env: repo.env, stdio: 'ignore' }));
    try {
      for (const l of ['a', 'b']) {
        const port = (await recordPorts(l)).web ?? 0;
        expect((await answerOn(port, { timeoutMs: 30_000 })).body).toBe(`${l} ${port}`);
      }
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(undefined) : c.once('exit', resolve)))));
    }
  });
});

describe('bad ports config changes nothing', () => {
  for (const [what, yaml, line] of [
    ['a reversed range', 'ports:\n  names: [web]\n  range: "29999-20000"\n', 3],
    ['an out-of-range port', 'ports:\n  range: "80-90"\n  names: [web]\n', 2],
    ['a reference to an unknown port name', 'ports:\n  names: [web]\nenv:\n  vars:\n    URL: "http://127.0.0.1:${port.nope}"\n', 5],
  ] as const) {
    it(`refuses ${what} with file:line:col, exit 2`, async () => {
      await config(yaml);
      const r = await repo.cli(['up', 'x']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`isolane\\.yaml:${line}:\\d+ `));
      expect(await exists(repo.lanesRoot)).toBe(false);
      expect(await exists(path.join(repo.root, '.git/isolane/ports.json'))).toBe(false);
      expect((await repo.git(['branch', '--list', 'isolane/x'])).trim()).toBe('');
    });
  }
});
