/**
 * A service of a container lane, against a real Docker engine: it runs inside the lane's
 * container (its process there, its log in the lane's checkout), is reached through the leased
 * port the container publishes, is restarted by `watch` when killed inside, and is gone after
 * `stop` and after `down`.
 */
import { execFile, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { dockerAvailable } from '../helpers/docker.js';
import { CLI, makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);
const engine = await dockerAvailable('services-docker.test.ts');
const base = 33_000 + (process.pid % 40) * 50; // its own band: see test/resources/ports.test.ts
const SERVER = "require('http').createServer((q,s)=>s.end('ok from '+process.env.ISOLANE_LANE)).listen(+process.env.PORT_WEB,'0.0.0.0',()=>console.log('listening'))";
let repo: TestRepo;

beforeAll(async () => {
  if (!engine) return;
  repo = await makeRepo();
  await fsp.appendFile(path.join(repo.root, '.git', 'info', 'exclude'), 'isolane.yaml\n');
  await fsp.writeFile(
    path.join(repo.root, 'isolane.yaml'),
    `strategy: container\ncontainer:\n  image: ${DEFAULT_IMAGE}-node\nports:\n  range: "${base}-${base + 49}"\n  names: [web]\n` +
      `services:\n  web:\n    run: [node, -e, ${JSON.stringify(SERVER)}]\n    port: web\n    ready: { http: /, timeout: 30s }\n`,
  );
  const up = await repo.cli(['up', 'box']);
  expect(up.code, up.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (!engine) return;
  await repo.cli(['down', 'box', '--force']);
  await repo.cleanup();
}, 300_000);

interface StateJson {
  state: string;
  where: string;
  pid: number;
  restarts: number;
}
const readState = async (): Promise<StateJson> => JSON.parse(await fsp.readFile(path.join(repo.root, '.git', 'isolane', 'services', 'box', 'web.json'), 'utf8')) as StateJson;

async function containerName(): Promise<string> {
  const { stdout } = await execFileP('docker', ['ps', '-q', '--filter', 'label=isolane.lane=box']);
  const ids = stdout.trim().split('\n').filter(Boolean);
  // Only the one of this repository: its path is the lane's mount.
  for (const id of ids) {
    const { stdout: mounts } = await execFileP('docker', ['inspect', '--format', '{{range .Mounts}}{{.Source}} {{end}}', id]);
    if (mounts.includes(path.join(repo.lanesRoot, 'box'))) return id;
  }
  throw new Error('no container of lane box');
}

/** Live processes of group `pgrp` inside the container, read from its /proc. */
async function groupInside(id: string, pgrp: number): Promise<number[]> {
  const { stdout } = await execFileP('docker', ['exec', id, 'sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null; true']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ pid: Number.parseInt(l, 10), f: l.slice(l.lastIndexOf(')') + 2).split(' ') }))
    .filter((p) => p.f[0] !== 'Z' && Number(p.f[2]) === pgrp)
    .map((p) => p.pid);
}

const connects = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      // docker-proxy accepts even with nothing behind it: only an answer counts.
      s.write('GET / HTTP/1.0\r\n\r\n');
      s.once('data', () => (s.destroy(), resolve(true)));
      s.once('close', () => resolve(false));
    });
    s.once('error', () => resolve(false));
  });

describe.skipIf(!engine)('a service of a container lane', () => {
  it('runs inside the container, healthy through the published port; watch restarts it when killed inside; stop and down end it', async () => {
    const started = await repo.cli(['start', 'box', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const [web] = (JSON.parse(started.stdout) as { services: Array<{ state: string; url: string }> }).services;
    expect(web?.state).toBe('healthy');
    const port = Number(new URL(web!.url).port);
    expect(await (await fetch(web!.url)).text()).toBe('ok from box');
    const first = await readState();
    expect(first.where).toBe('container');
    const id = await containerName();
    expect(await groupInside(id, first.pid)).toEqual([first.pid]);
    // Its log is in the lane's checkout, which git there ignores.
    expect((await repo.cli(['logs', 'box'])).stdout).toBe('listening\n');
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ dirty?: number; services?: Array<{ state: string }> }>;
    expect(ls[0]).toMatchObject({ dirty: 0, services: [{ state: 'healthy' }] });

    const watch = spawn(process.execPath, [CLI, 'watch'], { cwd: repo.root, env: { ...repo.env, ISOLANE_WATCH_BACKOFF_MS: '100' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | string | null>((resolve) => watch.once('exit', (code, sig) => resolve(code ?? sig)));
    try {
      for (let i = 0; i < 300 && !out.includes('watching'); i++) await sleep(100);
      await execFileP('docker', ['exec', id, 'sh', '-c', `kill -9 ${first.pid}`]);
      let again = first;
      for (let i = 0; i < 600 && !(again.state === 'healthy' && again.pid !== first.pid); i++) {
        await sleep(100);
        again = await readState();
      }
      expect(again).toMatchObject({ state: 'healthy', restarts: 1 });
      expect(await (await fetch(web!.url)).text()).toBe('ok from box');
    } finally {
      watch.kill('SIGINT');
    }
    expect(await exited).toBe(0);

    const pid = (await readState()).pid;
    const stopped = await repo.cli(['stop', 'box']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(await groupInside(id, pid)).toEqual([]);
    expect(await connects(port)).toBe(false);

    expect((await repo.cli(['start', 'box'])).code).toBe(0);
    const down = await repo.cli(['down', 'box']);
    expect(down.code, down.stderr).toBe(0);
    expect(await connects(port)).toBe(false);
    await expect(fsp.access(path.join(repo.root, '.git', 'isolane', 'services', 'box'))).rejects.toThrow();
  }, 240_000);
});
