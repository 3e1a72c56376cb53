/**
 * A container lane run by a hostile agent, against a real engine: nothing it does to its
 * repository reaches the host, what it holds is brought home before it goes, lanes cannot reach
 * each other, reading never touches the container, and a lane whose parts are half gone can
 * always be removed, saying what could not be checked.
 */
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { dockerAvailable } from '../helpers/docker.js';
import { expectNoLeaks, repoIdOf } from '../helpers/leaks.js';
import { commitFile, exists, makeRepo, type CliResult, type TestRepo } from '../helpers/repo.js';
import { stateSnapshot } from '../helpers/state.js';

const engine = await dockerAvailable('attack/container.test.ts');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

let repo: TestRepo;
let id: string;
const made: string[] = [];

async function up(lane: string): Promise<string> {
  made.push(lane);
  const r = await repo.cli(['up', lane, '--strategy', 'container']);
  expect(r.code, r.stderr).toBe(0);
  return path.join(repo.lanesRoot, lane);
}

async function sh(lane: string, script: string): Promise<CliResult> {
  return repo.cli(['run', lane, '--', 'sh', '-c', script]);
}

async function shOk(lane: string, script: string): Promise<string> {
  const r = await sh(lane, script);
  expect(r.code, `${script}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const container = (lane: string): Docker.Container => docker.getContainer(`isolane-${id}-${lane}`);
const inMain = (oid: string): Promise<boolean> => repo.git(['cat-file', '-e', oid]).then(() => true, () => false);

describe.runIf(engine)('container lanes under attack', () => {
  beforeEach(async () => {
    repo = await makeRepo();
    id = await repoIdOf(repo);
  });
  afterEach(async () => {
    for (const lane of made.splice(0)) await repo.cli(['down', lane, '--force']);
    await repo.cleanup();
  });

  it("/workspace/.git replaced by a symlink to another repository on the host: nothing of it comes home, and --force removes the lane", async () => {
    const secret = path.join(repo.dir, 'secret');
    await repo.git(['init', '-q', '-b', 'main', secret], repo.dir);
    await commitFile(repo, secret, 'secret.txt', 'the host secret\n', 'secret');
    const secretBlob = (await repo.git(['rev-parse', 'HEAD:secret.txt'], secret)).trim();
    await up('evil');
    await shOk('evil', `rm -rf /workspace/.git && ln -s ${path.join(secret, '.git')} /workspace/.git`);
    for (const argv of [['ls'], ['ls', '--json'], ['fetch', 'evil'], ['down', 'evil']]) await repo.cli(argv);
    // Stopped, the lane is read on the host: the symlink is still not followed.
    await container('evil').stop({ t: 0 });
    for (const argv of [['ls'], ['fetch', 'evil'], ['down', 'evil']]) await repo.cli(argv);
    expect(await inMain(secretBlob), 'the secret in the main object store').toBe(false);
    const refused = await repo.cli(['down', 'evil']);
    expect(refused.code).toBe(3);
    const forced = await repo.cli(['down', 'evil', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/could not check/);
    expect(await fsp.readFile(path.join(secret, 'secret.txt'), 'utf8')).toBe('the host secret\n');
    expect(await exists(path.join(secret, '.git', 'HEAD'))).toBe(true);
    expect(await inMain(secretBlob)).toBe(false);
    await expectNoLeaks(repo, docker, 'after --force');
  });

  it('a stash and a tag in the lane block removal; --force brings them home under discarded/ first', async () => {
    await up('w');
    await shOk('w', 'echo changed > README.md && git stash -q && git tag -a -m t only-tagged HEAD && echo x > t.txt && git add t.txt && git commit -qm "tagged only" && git tag keep && git reset -q --hard HEAD~1');
    const refused = await repo.cli(['down', 'w']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('stash@{0}');
    expect(refused.stderr).toContain('tagged only');
    const forced = await repo.cli(['down', 'w', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    const kept = (JSON.parse(forced.stdout) as { discarded: { keptUnder: string } }).discarded.keptUnder;
    expect(await repo.git(['show', `${kept}/stash/0:README.md`])).toBe('changed\n');
    expect((await repo.git(['log', '-1', '--format=%s', `${kept}/refs/tags/keep`])).trim()).toBe('tagged only');
    await expectNoLeaks(repo, docker, 'after --force');
  });

  it('reading never touches the container: ls, path and policy explain leave it, the repository and the lanes root as they were', async () => {
    await up('r');
    await shOk('r', 'echo w > work.txt && git add work.txt && git commit -qm work && echo d > dirty.txt');
    const look = async () => {
      const info = await container('r').inspect();
      return { state: info.State.Status, started: info.State.StartedAt, restarts: info.RestartCount };
    };
    const before = { files: await stateSnapshot(repo), container: await look() };
    for (const argv of [['ls'], ['ls', '--json'], ['path', 'r'], ['policy', 'explain']]) expect((await repo.cli(argv)).code).toBe(0);
    expect({ files: await stateSnapshot(repo), container: await look() }).toEqual(before);
    // Stopped, it stays stopped: ls reads it on the host instead.
    await container('r').stop({ t: 0 });
    const stopped = await look();
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; dirty: number; ahead: number; note?: string }>;
    expect(ls[0]).toMatchObject({ lane: 'r', dirty: 1, ahead: 1, note: 'container stopped' });
    expect(await look()).toEqual(stopped);
  });

  it('lanes cannot reach each other, nor those of another repository; what bridge reaches is what README says', async () => {
    await up('a');
    await up('b');
    // A lane of another repository on the same engine.
    const other = await makeRepo();
    const otherUp = await other.cli(['up', 'x', '--strategy', 'container']);
    expect(otherUp.code, otherUp.stderr).toBe(0);
    // A git daemon in lane a, reachable from the host but not from lane b.
    await shOk('a', 'git daemon --reuseaddr --export-all --base-path=/workspace --listen=0.0.0.0 --port=9418 --detach --pid-file=/tmp/d.pid /workspace');
    const info = await container('a').inspect();
    const ip = info.NetworkSettings.Networks['isolane-lanes']?.IPAddress;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // --detach returns before the daemon listens: ask until it answers (or 10 s have passed).
    let fromHost = '';
    for (let i = 0; i < 50 && !fromHost.includes('refs/heads/isolane/a'); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      fromHost = await repo.git(['ls-remote', `git://${ip!}/`]).catch((e: unknown) => String(e));
    }
    expect(fromHost).toContain('refs/heads/isolane/a');
    const fromB = await sh('b', `timeout 5 git ls-remote git://${ip!}/ 2>&1; echo "exit $?"`);
    expect(fromB.stdout).not.toContain('refs/heads/isolane/a');
    expect(fromB.stdout).toMatch(/exit [1-9]/);
    const fromOther = await other.cli(['run', 'x', '--', 'sh', '-c', `timeout 5 git ls-remote git://${ip!}/ 2>&1; echo "exit $?"`]);
    expect(fromOther.stdout).not.toContain('refs/heads/isolane/a');
    expect(fromOther.stdout).toMatch(/exit [1-9]/);
    expect((await other.cli(['down', 'x', '--force'])).code).toBe(0);
    await other.cleanup();
    // The host, through the network's gateway, is reachable (README: bridge reaches the host and the internet).
    const gateway = String((await docker.getNetwork('isolane-lanes').inspect() as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0]?.Gateway);
    const server = net.createServer((s) => {
      s.on('error', () => undefined); // the client hangs up on the answer
      s.end('host service\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const hostReach = await sh('b', `timeout 5 git ls-remote git://${gateway}:${port}/ 2>&1; echo "exit $?"`);
    server.close();
    // git reached it: it read the service's answer and found no git protocol in it.
    expect(hostReach.stdout).toMatch(/protocol error|bad line length|remote end hung up/i);
  });

  describe('half-gone lanes', () => {
    it('its container removed outside isolane: run says so and makes none; a clean lane goes with plain down', async () => {
      const dir = await up('g');
      await container('g').remove({ force: true });
      const run = await sh('g', 'true');
      expect(run.code).toBe(125);
      expect(run.stderr).toMatch(/container of lane g is gone/);
      await expect(container('g').inspect()).rejects.toMatchObject({ statusCode: 404 });
      const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ note?: string }>;
      expect(ls[0]?.note).toBe('container gone');
      const down = await repo.cli(['down', 'g']);
      expect(down.code, down.stderr).toBe(0);
      expect(await exists(dir)).toBe(false);
      await expectNoLeaks(repo, docker, 'after down');
    });

    it('its container removed, with work in the lane: the work is read on the host and blocks; --force keeps it', async () => {
      await up('h');
      await shOk('h', 'echo w > w.txt && git add w.txt && git commit -qm "work without a container"');
      await container('h').remove({ force: true });
      const refused = await repo.cli(['down', 'h']);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain('work without a container');
      expect((await repo.cli(['down', 'h', '--force'])).code).toBe(0);
      expect(await repo.git(['log', '--all', '--format=%s'])).toContain('work without a container');
      await expectNoLeaks(repo, docker, 'after --force');
    });

    it('its directory deleted while the container runs: down removes the container; Docker makes no directory in its place', async () => {
      const dir = await up('d');
      await fsp.rm(dir, { recursive: true, force: true });
      await sh('d', 'true');
      expect(await exists(dir)).toBe(false);
      const down = await repo.cli(['down', 'd']);
      expect(down.code, down.stderr).toBe(0);
      await expectNoLeaks(repo, docker, 'after down');
    });

    it('its image removed: down still goes', async () => {
      const tag = `isolane-test/halfgone:${id}`;
      await docker.getImage(DEFAULT_IMAGE).tag({ repo: tag.split(':')[0]!, tag: id });
      await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), `container:\n  image: ${tag}\n`);
      await up('i');
      await container('i').stop({ t: 0 });
      await docker.getImage(tag).remove({ force: true });
      const down = await repo.cli(['down', 'i']);
      expect(down.code, down.stderr).toBe(0);
      await expectNoLeaks(repo, docker, 'after down');
    });

    it('no engine answers: down refuses, --force removes the rest and names the container it left; ls and down take that later', async () => {
      await up('e');
      const away = { DOCKER_HOST: `unix://${path.join(repo.dir, 'no-engine.sock')}` };
      const refused = await repo.cli(['down', 'e'], { env: away });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/could not be checked or removed/);
      const forced = await repo.cli(['down', 'e', '--force'], { env: away });
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stderr).toContain(`docker rm -f isolane-${id}-e`);
      // With the engine back, the container is an orphan isolane proves its own by its labels.
      const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string }>;
      expect(ls).toMatchObject([{ lane: 'e', state: 'orphan' }]);
      expect((await repo.cli(['down', 'e'])).code).toBe(0);
      await expectNoLeaks(repo, docker, 'after the orphan went');
    });

    it('its record lost: an orphan proven by its labels and marker, removed by down', async () => {
      await up('o');
      await fsp.rm(path.join(repo.root, '.git', 'isolane', 'lanes', 'o.json'));
      const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string; strategy: string }>;
      expect(ls).toMatchObject([{ lane: 'o', state: 'orphan', strategy: 'container' }]);
      expect((await repo.cli(['down', 'o'])).code).toBe(0);
      await expectNoLeaks(repo, docker, 'after down');
    });
  });
});
