/**
 * Leased ports in container lanes against a real Docker engine: each lane's dev server listens
 * inside on its PORT_WEB and answers on 127.0.0.1 at the same number on the host and inside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { dockerAvailable } from '../helpers/docker.js';
import { CLI, makeRepo, type TestRepo } from '../helpers/repo.js';
import { answerOn } from '../helpers/http.js';

const engine = await dockerAvailable('ports-docker.test.ts');
const base = 25_000 + (process.pid % 40) * 50; // its own band: see ports.test.ts
let repo: TestRepo;
const lanes = ['ca', 'cb'];

beforeAll(async () => {
  if (!engine) return;
  repo = await makeRepo();
  await fsp.writeFile(
    path.join(repo.root, 'isolane.yaml'),
    `strategy: container\ncontainer:\n  image: ${DEFAULT_IMAGE}-node\nports:\n  range: "${base}-${base + 49}"\n  names: [web]\nenv:\n  vars:\n    SELF: "http://127.0.0.1:\${port.web}/\${lane}"\n`,
  );
  await Promise.all(lanes.map(async (l) => expect((await repo.cli(['up', l])).code).toBe(0)));
}, 300_000);
afterAll(async () => {
  if (!engine) return;
  for (const l of lanes) await repo.cli(['down', l, '--force']);
  await repo.cleanup();
}, 300_000);

const envOf = async (lane: string): Promise<Record<string, string>> => (JSON.parse((await repo.cli(['env', lane, '--json'])).stdout) as { env: Record<string, string> }).env;

describe.skipIf(!engine)('ports in container lanes', () => {
  it('two container lanes serve on their own PORT_WEB, reached at the same URL on the host and inside', async () => {
    const server = 'require("http").createServer((q, s) => s.end(process.env.ISOLANE_LANE + " " + process.env.PORT_WEB)).listen(Number(process.env.PORT_WEB), "0.0.0.0")';
    const children: ChildProcess[] = lanes.map((l) => spawn(process.execPath, [CLI, 'run', l, '--', 'node', '-e', server], { cwd: repo.root, env: repo.env, stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    for (const c of children) c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      const ports = new Set<string>();
      for (const l of lanes) {
        const env = await envOf(l);
        ports.add(env.PORT_WEB ?? '');
        expect((await answerOn(Number(env.PORT_WEB), { why: () => stderr })).body).toBe(`${l} ${env.PORT_WEB}`);
        // Inside, the same URL (its SELF variable) answers too, and the env file says where the lane is.
        const inside = await repo.cli(['run', l, '--', 'node', '-e', 'fetch(process.env.SELF).then(r => r.text()).then(t => process.stdout.write(t + "|" + process.env.ISOLANE_PATH + "|" + require("fs").readFileSync(".env.isolane", "utf8")))']);
        expect(inside.code, inside.stderr).toBe(0);
        const [text, where, file] = inside.stdout.split('|');
        expect(text).toBe(`${l} ${env.PORT_WEB}`);
        expect(where).toBe('/workspace');
        expect(file).toContain(`PORT_WEB=${env.PORT_WEB}\n`);
        expect(file).toContain('ISOLANE_PATH=/workspace\n');
      }
      expect(ports.size).toBe(2);
      const listed = JSON.parse((await repo.cli(['ports', '--json'])).stdout) as { leases: { lane: string; listening: boolean }[] };
      expect(listed.leases.map((l) => `${l.lane} ${String(l.listening)}`).sort()).toEqual(lanes.map((l) => `${l} true`));
      // git in the lane (inside its container) ignores the env file.
      const status = await repo.cli(['run', 'ca', '--', 'git', 'status', '--porcelain']);
      expect(status.stdout).toBe('');
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(undefined) : c.once('exit', resolve)))));
    }
  });
});
