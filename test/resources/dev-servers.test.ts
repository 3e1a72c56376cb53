/**
 * The fixture project's own dev server (`npm run dev`, which reads PORT as most dev servers do),
 * started in two lanes at once through `isolane run`: each answers on its own leased port, where
 * without lanes they would fight for one. Worktree lanes and container lanes alike.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { spawnCli, type Spawned } from '../helpers/crash.js';
import { dockerAvailable } from '../helpers/docker.js';
import { answerOn } from '../helpers/http.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/node-project', import.meta.url));
const engine = await dockerAvailable('dev-servers.test.ts');
const base = 27_000 + (process.pid % 80) * 20; // its own band: see ports.test.ts
const SETUP = 'setup:\n  - [npm, ci, --offline, --no-audit, --no-fund]\n  - [npm, run, build]\n';

let repo: TestRepo;
const servers: Spawned[] = [];

beforeEach(async () => {
  repo = await makeRepo({ files: { 'README.md': '# shop\n' } });
  await fsp.cp(FIXTURE, repo.root, { recursive: true, filter: (src) => !/node_modules|dist$/.test(src) });
  await fsp.appendFile(path.join(repo.root, '.gitignore'), 'isolane.yaml\n');
  await repo.git(['add', '-A']);
  await repo.git(['commit', '-q', '-m', 'the shop-demo project']);
}, 60_000);

afterEach(async () => {
  for (const s of servers.splice(0)) {
    try {
      process.kill(-s.pid, 'SIGKILL'); // isolane run and the npm and node under it
    } catch {
      // already gone
    }
    await s.closed;
  }
  for (const lane of ['a', 'b']) await repo.cli(['down', lane, '--force']);
  await repo.cleanup();
}, 120_000);

async function portOf(lane: string): Promise<number> {
  const r = await repo.cli(['env', lane, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return Number((JSON.parse(r.stdout) as { env: Record<string, string> }).env.PORT_WEB);
}

async function twoServers(): Promise<void> {
  await Promise.all(['a', 'b'].map(async (l) => {
    const r = await repo.cli(['up', l]);
    expect(r.code, r.stderr).toBe(0);
  }));
  const ports = await Promise.all(['a', 'b'].map(portOf));
  expect(ports[0]).not.toBe(ports[1]);
  for (const lane of ['a', 'b']) servers.push(spawnCli(repo, ['run', lane, '--', 'npm', 'run', 'dev']));
  for (const [i, lane] of ['a', 'b'].entries()) {
    const reply = await answerOn(ports[i]!, { why: () => `the run of lane ${lane} has ended: ${String(servers[i]!.child.exitCode)}` });
    expect(reply.status, reply.body).toBe(200);
    // each server says where it listens: its own lane's port
    expect((await fsp.readFile(path.join(repo.lanesRoot, lane, '.dev-server-port'), 'utf8')).trim()).toBe(String(ports[i]));
  }
}

describe('two dev servers at once', () => {
  it('in two worktree lanes, `npm run dev` answers on each lane\'s own port', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), `ports:\n  range: "${base}-${base + 9}"\n  names: [web]\n${SETUP}`);
    await twoServers();
  }, 180_000);

  it.skipIf(!engine)('in two container lanes, the same, reached from the host at the same port', async () => {
    // Inside a container the server must listen beyond the container's own loopback.
    await fsp.writeFile(
      path.join(repo.root, 'isolane.yaml'),
      `strategy: container\ncontainer:\n  image: ${DEFAULT_IMAGE}-node\nports:\n  range: "${base + 10}-${base + 19}"\n  names: [web]\nenv:\n  vars:\n    HOST: 0.0.0.0\n${SETUP}`,
    );
    await twoServers();
  }, 240_000);
});
