/**
 * Services of worktree lanes, through the built CLI: real detached processes, real ports, real
 * signals. What is checked is what exists: a process group in /proc, a port that answers or
 * refuses, the state and log files isolane keeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, makeRepo, type TestRepo } from '../helpers/repo.js';

const base = 31_000 + (process.pid % 40) * 50; // its own band: see test/resources/ports.test.ts

/** A tiny HTTP server on the lane's PORT_WEB; says so on stdout once it listens. */
const SERVER = "require('http').createServer((q,s)=>s.end('ok from '+process.env.ISOLANE_LANE)).listen(+process.env.PORT_WEB,'127.0.0.1',()=>console.log('listening on '+process.env.PORT_WEB))";
const IDLE = 'setInterval(()=>{},1000)';

let repo: TestRepo;
const watchers: ChildProcess[] = [];

function yaml(services: string, extra = ''): string {
  return `ports:\n  range: "${base}-${base + 49}"\n  names: [web, api]\n${extra}services:\n${services}`;
}

async function writeConfig(text: string): Promise<void> {
  await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);
}

const webService = (ready = '{ http: "/", timeout: 30s }'): string =>
  `  web:\n    run: [node, -e, ${JSON.stringify(SERVER)}]\n    port: web\n    ready: ${ready}\n`;

interface StateJson {
  state: string;
  pid?: number;
  startTime?: string;
  url?: string;
  restarts: number;
  crashes: string[];
  note?: string;
}

const stateFile = (lane: string, service: string): string => path.join(repo.root, '.git', 'isolane', 'services', lane, `${service}.json`);

async function readState(lane: string, service: string): Promise<StateJson | undefined> {
  const text = await fsp.readFile(stateFile(lane, service), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as StateJson);
}

async function up(lane: string): Promise<void> {
  const r = await repo.cli(['up', lane]);
  expect(r.code, r.stderr).toBe(0);
}

async function leasedPort(lane: string, name = 'PORT_WEB'): Promise<number> {
  const r = await repo.cli(['env', lane, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return Number((JSON.parse(r.stdout) as { env: Record<string, string> }).env[name]);
}

/** Live (non-zombie) processes whose process group is `pgrp`, read straight from /proc. */
async function groupOf(pgrp: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const text = await fsp.readFile(`/proc/${e}/stat`, 'utf8').catch(() => undefined);
    if (!text) continue;
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgrp) out.push(Number(e));
  }
  return out;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

/** Polls until `fn` says yes; a generous bound, no timing asserted. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await sleep(100);
  }
}

function startWatch(env: Record<string, string> = {}, args: readonly string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | string | null> } {
  const child = spawn(process.execPath, [CLI, 'watch', ...args], { cwd: repo.root, env: { ...repo.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  watchers.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  // A death by signal resolves with the signal's name, so an assertion shows it.
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig)));
  return { child, output: () => out, exited };
}

beforeEach(async () => {
  repo = await makeRepo();
  // isolane.yaml stays out of the lanes' git status: the tests rewrite it.
  await fsp.appendFile(path.join(repo.root, '.git', 'info', 'exclude'), 'isolane.yaml\n');
});

afterEach(async () => {
  for (const w of watchers.splice(0)) if (w.exitCode === null) w.kill('SIGKILL');
  // Whatever a failed test left running: every recorded group, killed.
  const root = path.join(repo.root, '.git', 'isolane', 'services');
  for (const lane of await fsp.readdir(root).catch(() => [] as string[])) {
    for (const f of await fsp.readdir(path.join(root, lane)).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      const s = JSON.parse(await fsp.readFile(path.join(root, lane, f), 'utf8')) as StateJson;
      if (s.pid) for (const p of await groupOf(s.pid)) process.kill(p, 'SIGKILL');
    }
  }
  await repo.cleanup();
}, 120_000);

describe('isolane start / stop', () => {
  it('starts a service detached, healthy on its leased port, listed by ls; a second start starts nothing; stop ends its whole group and frees the port', async () => {
    await writeConfig(yaml(webService()));
    await up('a');
    const port = await leasedPort('a');

    const started = await repo.cli(['start', 'a', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const [web] = (JSON.parse(started.stdout) as { services: Array<{ service: string; state: string; url: string; pid: number }> }).services;
    expect(web).toMatchObject({ service: 'web', state: 'healthy', url: `http://127.0.0.1:${port}/` });
    // Really serving, from its own process group (the CLI that started it is gone).
    expect(await get(port)).toBe('ok from a');
    expect(await groupOf(web!.pid)).toEqual([web!.pid]);
    const state = await readState('a', 'web');
    expect(state?.pid).toBe(web!.pid);
    expect((await fsp.stat(stateFile('a', 'web'))).mode & 0o777).toBe(0o600);

    const ls = await repo.cli(['ls', '--json']);
    const lanes = JSON.parse(ls.stdout) as Array<{ lane: string; services?: Array<{ name: string; state: string; url?: string }> }>;
    expect(lanes.find((l) => l.lane === 'a')?.services).toEqual([expect.objectContaining({ name: 'web', state: 'healthy', url: `http://127.0.0.1:${port}/` })]);
    expect((await repo.cli(['ls'])).stdout).toContain(`a: services: web healthy http://127.0.0.1:${port}/`);

    const again = await repo.cli(['start', 'a', 'web']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already running/);
    expect((await readState('a', 'web'))?.pid).toBe(web!.pid);
    expect(await groupOf(web!.pid)).toEqual([web!.pid]);

    const stopped = await repo.cli(['stop', 'a', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ services: [{ service: 'web', stopped: true, killed: false }] });
    expect(await groupOf(web!.pid)).toEqual([]);
    expect(await connects(port)).toBe(false);
    expect((await readState('a', 'web'))?.state).toBe('stopped');

    // Idempotent: nothing left to stop is not an error.
    const twice = await repo.cli(['stop', 'a']);
    expect(twice.code, twice.stderr).toBe(0);
    expect(twice.stdout).toMatch(/web: was not running/);
  });

  it('stop kills what ignores SIGTERM, children included', async () => {
    const stubborn = "process.on('SIGTERM',()=>{}); require('child_process').spawn(process.execPath,['-e',\"process.on('SIGTERM',()=>{});setInterval(()=>{},1000)\"],{stdio:'inherit'}); setInterval(()=>{},1000); console.log('up')";
    await writeConfig(yaml(`  stubborn:\n    run: [node, -e, ${JSON.stringify(stubborn)}]\n    ready: { log: "^up$", timeout: 30s }\n`));
    await up('a');
    const r = await repo.cli(['start', 'a']);
    expect(r.code, r.stderr).toBe(0);
    const pid = (await readState('a', 'stubborn'))!.pid!;
    await eventually('the child is started', async () => (await groupOf(pid)).length === 2);
    const stopped = await repo.cli(['stop', 'a', 'stubborn', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ services: [{ stopped: true, killed: true }] });
    expect(await groupOf(pid)).toEqual([]);
  });

  it('is ready when its log matches; a service never ready in time is unhealthy and start exits non-zero', async () => {
    await writeConfig(
      yaml(
        `  worker:\n    run: [node, -e, "setTimeout(()=>console.log('worker ready'),300); ${IDLE}"]\n    ready: { log: "worker re+ady", timeout: 30s }\n` +
          `  api:\n    run: [node, -e, ${JSON.stringify(IDLE)}]\n    port: api\n    ready: { http: /health, timeout: 1s }\n`,
      ),
    );
    await up('a');
    const worker = await repo.cli(['start', 'a', 'worker', '--json']);
    expect(worker.code, worker.stderr).toBe(0);
    expect(JSON.parse(worker.stdout)).toMatchObject({ services: [{ service: 'worker', state: 'healthy' }] });

    const api = await repo.cli(['start', 'a', 'api']);
    expect(api.code).not.toBe(0);
    expect(api.stdout).toMatch(/api: unhealthy/);
    expect(api.stderr).toMatch(/api of lane a is unhealthy/);
    const state = await readState('a', 'api');
    expect(state?.state).toBe('unhealthy');
    // Alive, only not ready: its process is still there.
    expect(await groupOf(state!.pid!)).toEqual([state!.pid]);

    // Logs: both, each line prefixed by its service.
    const logs = await repo.cli(['logs', 'a']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^worker \| worker ready$/m);
    const one = await repo.cli(['logs', 'a', 'worker']);
    expect(one.stdout).toBe('worker ready\n');
  });

  it('a service that exits at once is reported exited, with a non-zero status', async () => {
    await writeConfig(yaml(`  bad:\n    run: [node, -e, "console.error('boom'); process.exit(3)"]\n`));
    await up('a');
    const r = await repo.cli(['start', 'a', '--json']);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ services: [{ service: 'bad', state: 'exited' }] });
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'SERVICE_FAILED', services: ['bad'] } });
    expect((await repo.cli(['logs', 'a', 'bad'])).stdout).toBe('boom\n');
  });

  it('refuses bad input with clear errors', async () => {
    await writeConfig(yaml(webService()));
    await up('a');
    const unknown = await repo.cli(['start', 'a', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no service named nope/);
    expect(unknown.stderr).toMatch(/its services: web/);
    const badName = await repo.cli(['stop', 'a', '../x']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/not a service name/);
    const noLane = await repo.cli(['start', 'zz']);
    expect(noLane.code).not.toBe(0);
    expect(noLane.stderr).toMatch(/no lane named zz/);

    await writeConfig(yaml(`  web:\n    run: [node, -e, "1"]\n    port: www\n`));
    const badPort = await repo.cli(['start', 'a']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/services\.web\.port: "www" is not a port of ports\.names \(web, api\)/);
    const badEvery = await repo.cli(['watch', '--gc-every', 'soon']);
    expect(badEvery.code).toBe(2);
    expect(badEvery.stderr).toMatch(/--gc-every "soon" is not a duration/);
  });
});

describe('state a lane could tamper with', () => {
  it('a symlink planted as a lane\'s services directory is refused, and nothing is written through it', async () => {
    await writeConfig(yaml(webService()));
    await up('a');
    const elsewhere = path.join(repo.dir, 'elsewhere');
    await fsp.mkdir(elsewhere);
    await fsp.mkdir(path.join(repo.root, '.git', 'isolane', 'services'), { recursive: true });
    await fsp.symlink(elsewhere, path.join(repo.root, '.git', 'isolane', 'services', 'a'));
    const r = await repo.cli(['start', 'a']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/symlink/);
    expect(await fsp.readdir(elsewhere)).toEqual([]);
  });
});

describe('services and gc', () => {
  it('gc keeps a merged lane while its service runs, and removes it (nothing left listening) once the service was killed', async () => {
    await writeConfig(yaml(webService()));
    await up('served');
    const lane = path.join(repo.lanesRoot, 'served');
    await fsp.writeFile(path.join(lane, 'done.txt'), 'done\n');
    await repo.git(['add', 'done.txt'], lane);
    await repo.git(['commit', '--quiet', '-m', 'done'], lane);
    await repo.git(['merge', '--quiet', 'isolane/served']);
    expect((await repo.cli(['start', 'served'])).code).toBe(0);
    const port = await leasedPort('served');
    const kept = JSON.parse((await repo.cli(['gc', '--merged', '--yes', '--json'])).stdout) as { lanes: Array<{ lane: string; reasons: string[]; outcome?: string }> };
    expect(kept.lanes[0]?.reasons.join()).toMatch(/service web running/);
    expect(await connects(port)).toBe(true);
    const pid = (await readState('served', 'web'))?.pid ?? 0;
    process.kill(-pid, 'SIGKILL');
    await eventually('the service gone', async () => !(await connects(port)));
    const gone = JSON.parse((await repo.cli(['gc', '--merged', '--yes', '--json'])).stdout) as { lanes: Array<{ lane: string; outcome?: string }> };
    expect(gone.lanes[0]?.outcome).toBe('removed');
    expect(await connects(port)).toBe(false);
    expect(await fsp.readdir(path.join(repo.root, '.git', 'isolane', 'services')).catch(() => [] as string[])).not.toContain('served');
  });

  it('watch --gc-every runs gc on schedule: a lane whose directory was deleted goes', async () => {
    await up('doomed');
    await up('kept');
    await fsp.rm(path.join(repo.lanesRoot, 'doomed'), { recursive: true, force: true });
    const w = startWatch({ ISOLANE_WATCH_BACKOFF_MS: '50' }, ['--gc-every', '1s']);
    await eventually('gc removed the lane', () => /gc removed lane doomed/.test(w.output()));
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string }>;
    expect(ls.map((l) => l.lane)).toEqual(['kept']);
  });
});

describe('isolane logs -f', () => {
  it('follows new output of every service, prefixed, until SIGINT', async () => {
    const ticker = (name: string): string => `let i=0; console.log('${name} up'); setInterval(()=>console.log('${name} tick '+(++i)),200)`;
    await writeConfig(
      yaml(`  one:\n    run: [node, -e, ${JSON.stringify(ticker('one'))}]\n    ready: { log: "one up" }\n  two:\n    run: [node, -e, ${JSON.stringify(ticker('two'))}]\n    ready: { log: "two up" }\n`),
    );
    await up('a');
    expect((await repo.cli(['start', 'a'])).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'logs', 'a', '-f'], { cwd: repo.root, env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] });
    watchers.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig)));
    // Lines written after logs started: tick numbers beyond what the files held then.
    const before = (await fsp.readFile(path.join(repo.root, '.git', 'isolane', 'services', 'a', 'one.log'), 'utf8')).split('\n').length;
    await eventually('new lines of both services', () => new RegExp(`^one \\| one tick ${before + 3}$`, 'm').test(out) && /^two \| two tick \d+$/m.test(out));
    expect(out).toMatch(/^one \| one up$/m);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('down and services', () => {
  it('a refused down leaves the service running; a down that goes ahead stops it first and leaves nothing of it', async () => {
    await writeConfig(yaml(webService()));
    await up('a');
    const port = await leasedPort('a');
    expect((await repo.cli(['start', 'a'])).code).toBe(0);
    const pid = (await readState('a', 'web'))!.pid!;

    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'work.txt'), 'unsaved\n');
    const refused = await repo.cli(['down', 'a']);
    expect(refused.code).toBe(3);
    expect(await groupOf(pid)).toEqual([pid]);
    expect(await get(port)).toBe('ok from a');

    await fsp.rm(path.join(repo.lanesRoot, 'a', 'work.txt'));
    const down = await repo.cli(['down', 'a']);
    expect(down.code, down.stderr).toBe(0);
    expect(await groupOf(pid)).toEqual([]);
    expect(await connects(port)).toBe(false);
    await expect(fsp.access(path.join(repo.root, '.git', 'isolane', 'services', 'a'))).rejects.toThrow();
  });
});

describe('isolane watch', () => {
  it('restarts a service killed with SIGKILL; a second watcher is refused; SIGINT ends watching, not the services', async () => {
    await writeConfig(yaml(webService()));
    await up('a');
    const port = await leasedPort('a');
    expect((await repo.cli(['start', 'a'])).code).toBe(0);
    const first = (await readState('a', 'web'))!.pid!;

    const watch = startWatch({ ISOLANE_WATCH_BACKOFF_MS: '100' });
    await eventually('the watcher says it watches', () => watch.output().includes('watching the services'));
    const second = await repo.cli(['watch']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(new RegExp(`already supervises .*process ${watch.child.pid}`));

    process.kill(first, 'SIGKILL');
    const restarted = await eventually('the service is healthy again under a new pid', async () => {
      const s = await readState('a', 'web');
      return s?.state === 'healthy' && s.pid !== first ? s : undefined;
    });
    expect(restarted.restarts).toBe(1);
    expect(await get(port)).toBe('ok from a');
    expect(watch.output()).toMatch(/a\/web exited/);

    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.output()).toMatch(/the services keep running/);
    expect(await groupOf(restarted.pid!)).toEqual([restarted.pid]);
    expect(await get(port)).toBe('ok from a');
    // The lock went with it: a new watcher may start.
    const next = startWatch();
    await eventually('a new watcher starts', () => next.output().includes('watching the services'));
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('marks a service that keeps exiting as crash-loop and leaves it stopped; ls shows it', async () => {
    await writeConfig(yaml(`  flaky:\n    run: [node, -e, "process.exit(1)"]\n`));
    await up('a');
    expect((await repo.cli(['start', 'a'])).code).not.toBe(0);
    const watch = startWatch({ ISOLANE_WATCH_BACKOFF_MS: '20' });
    const looped = await eventually('crash-loop', async () => {
      const s = await readState('a', 'flaky');
      return s?.state === 'crash-loop' ? s : undefined;
    });
    expect(looped.crashes.length).toBe(5);
    expect(looped.restarts).toBe(4);
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ services?: Array<{ name: string; state: string }> }>;
    expect(ls[0]?.services?.[0]).toMatchObject({ name: 'flaky', state: 'crash-loop' });
    // Left stopped: no further restart.
    await sleep(500);
    expect((await readState('a', 'flaky'))?.restarts).toBe(4);
    expect(watch.output()).toMatch(/crash-loop/);
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
  });

  it('does not restart a service stopped by hand nor one with restart: never, and picks up lanes made while it runs', async () => {
    await writeConfig(yaml(webService() + `  once:\n    run: [node, -e, ${JSON.stringify(IDLE)}]\n    restart: never\n`));
    const watch = startWatch({ ISOLANE_WATCH_BACKOFF_MS: '50' });
    await eventually('the watcher says it watches', () => watch.output().includes('watching the services'));
    await up('b');
    expect((await repo.cli(['start', 'b'])).code).toBe(0);
    const pid = (await readState('b', 'web'))!.pid!;
    process.kill(pid, 'SIGKILL');
    await eventually('restarted in the new lane', async () => {
      const s = await readState('b', 'web');
      return s?.state === 'healthy' && s.pid !== pid;
    });
    const once = (await readState('b', 'once'))!.pid!;
    process.kill(once, 'SIGKILL');
    await eventually('the watcher sees it exited', async () => (await readState('b', 'once'))?.state === 'exited');
    expect((await repo.cli(['stop', 'b', 'web'])).code).toBe(0);
    await sleep(1000);
    expect((await readState('b', 'web'))?.state).toBe('stopped');
    expect(await readState('b', 'once')).toMatchObject({ state: 'exited', restarts: 0 });
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
  });
});
