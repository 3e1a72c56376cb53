/**
 * The container strategy against a real Docker engine: what the container is (name, labels,
 * hardening, limits, network, ports), what runs in it, what it can and cannot write, how its
 * commits come home, and that `down` removes exactly what isolane made. (What every strategy
 * keeps, kills of `up` included, is test/strategies/container.test.ts.)
 * Facts are read from the engine (dockerode), the host filesystem and git, never through isolane.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { Isolane } from '../../src/index.js';
import { journalFiles, killCli, killGroup, ls, readRecord, repoSnapshot, spawnCli, type Spawned } from '../helpers/crash.js';
import { dockerAvailable } from '../helpers/docker.js';
import { loadedModules, packageOf, readMetafile } from '../helpers/module-trace.js';
import { exists, makeRepo, type CliResult, type TestRepo } from '../helpers/repo.js';

const engine = await dockerAvailable('container.test.ts');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const LABEL_REPO = 'isolane.repo';
const LABEL_LANE = 'isolane.lane';
const GIB = 2 ** 30;

let repo: TestRepo;
/** This repository's id, as isolane labels its containers. */
let repoId: string;
/** Lanes a test may have made: removed with `down --force` after it. */
const lanes = new Set<string>();
/** CLI processes a test started: their groups are killed after it. */
const spawned: Spawned[] = [];
/** Containers a test made itself (not labelled for this repository): removed after it. */
const foreign: string[] = [];

async function writeConfig(yaml: string): Promise<void> {
  await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), yaml);
}

function cli(args: readonly string[], env?: Record<string, string>): Promise<CliResult> {
  return repo.cli(args, env ? { env } : {});
}

async function upContainer(lane: string): Promise<string> {
  lanes.add(lane);
  const r = await cli(['up', lane, '--strategy', 'container']);
  expect(r.code, `isolane up ${lane} --strategy container\n${r.stderr}`).toBe(0);
  const lanePath = path.join(repo.lanesRoot, lane);
  expect(r.stdout.trim()).toBe(lanePath);
  return lanePath;
}

/** `isolane run <lane> -- sh -c <script>`. */
function sh(lane: string, script: string, env?: Record<string, string>): Promise<CliResult> {
  return cli(['run', lane, '--', 'sh', '-c', script], env);
}

async function shOk(lane: string, script: string): Promise<string> {
  const r = await sh(lane, script);
  expect(r.code, `in lane ${lane}: ${script}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const containerName = (lane: string): string => `isolane-${repoId}-${lane}`;

/** Every container (running or not) labelled for this repository, and for `lane` when given. */
function labelled(lane?: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_REPO}=${repoId}`, ...(lane ? [`${LABEL_LANE}=${lane}`] : [])] } });
}

async function inspectByName(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  return docker
    .getContainer(name)
    .inspect()
    .catch((e: { statusCode?: number }) => {
      if (e.statusCode === 404) return undefined;
      throw e;
    });
}

async function inspectLane(lane: string): Promise<Docker.ContainerInspectInfo> {
  const info = await inspectByName(containerName(lane));
  expect(info, `container ${containerName(lane)}`).toBeDefined();
  return info!;
}

/** A container isolane did not make, from the same image, left running. */
async function makeForeign(name: string, labels: Record<string, string> = {}): Promise<Docker.Container> {
  foreign.push(name);
  const c = await docker.createContainer({ name, Image: DEFAULT_IMAGE, Cmd: ['sleep', 'infinity'], Labels: labels, HostConfig: { Init: true } });
  await c.start();
  return c;
}

/** Connects to host:port; says 'connect' or why not. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(2_000);
    s.on('connect', () => {
      s.destroy();
      resolve('connect');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on('timeout', () => {
      s.destroy();
      resolve('timeout');
    });
  });
}

beforeEach(async () => {
  if (!engine) return;
  repo = await makeRepo();
  repoId = (await Isolane.open({ cwd: repo.root, env: repo.env })).project.repo.id;
});

afterEach(async () => {
  if (!engine) return;
  for (const p of spawned.splice(0)) {
    killGroup(p.pid);
    await p.closed.catch(() => undefined);
  }
  for (const lane of lanes) await cli(['down', lane, '--force']);
  lanes.clear();
  // Safety sweep: whatever is still labelled for this repository, and only that.
  for (const info of await labelled()) await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const name of foreign.splice(0)) await docker.getContainer(name).remove({ force: true, v: true }).catch(() => undefined);
  await repo.cleanup();
});

describe.skipIf(!engine)('container strategy', () => {
  describe('the container', () => {
    it('up --strategy container makes a labelled, running, hardened container with the default limits', async () => {
      const lanePath = await upContainer('a');
      const info = await inspectLane('a');
      expect(info.Name).toBe(`/isolane-${repoId}-a`);
      expect(info.Config.Labels).toMatchObject({ [LABEL_REPO]: repoId, [LABEL_LANE]: 'a' });
      expect(info.State.Running).toBe(true);
      expect((await labelled('a')).map((c) => c.Id)).toEqual([info.Id]);

      const host = info.HostConfig;
      expect(host.CapDrop).toEqual(['ALL']);
      expect(host.CapAdd ?? []).toEqual([]);
      expect(host.Privileged).toBe(false);
      const securityOpt = (host as { SecurityOpt?: string[] | null }).SecurityOpt ?? [];
      expect(securityOpt.some((o) => /^no-new-privileges(?::true|=true)?$/.test(o)), JSON.stringify(securityOpt)).toBe(true);
      expect(host.PidsLimit).toBe(512);
      expect(host.Memory).toBe(2 * GIB);
      expect(host.NanoCpus).toBe(2e9);
      // The lanes' network, on which no lane can reach another.
      expect(host.NetworkMode).toBe('isolane-lanes');
      const network = await docker.getNetwork('isolane-lanes').inspect();
      expect(network.Options?.['com.docker.network.bridge.enable_icc']).toBe('false');
      expect(network.Labels).toMatchObject({ 'isolane.network': 'lanes' });

      // Not root, by number or by name.
      const user = info.Config.User;
      expect(user).toMatch(/^\d+(:\d+)?$/);
      const uid = Number(user.split(':')[0]);
      expect(uid).not.toBe(0);

      // Only these mounts: the lane's checkout, the main object store read-only and, where the host
      // has a system CA bundle (caBundle: auto), that bundle read-only. No Docker socket.
      const objects = path.join(repo.root, '.git', 'objects');
      const bundle = await fsp.realpath('/etc/ssl/certs/ca-certificates.crt').catch(() => undefined);
      const mounts = info.Mounts.map((m) => ({ source: m.Source, destination: m.Destination, rw: m.RW })).sort((x, y) => x.destination.localeCompare(y.destination));
      expect(mounts).toEqual(
        [
          { source: objects, destination: objects, rw: false },
          { source: lanePath, destination: '/workspace', rw: true },
          ...(bundle ? [{ source: bundle, destination: '/etc/isolane/ca/bundle.crt', rw: false }] : []),
        ].sort((x, y) => x.destination.localeCompare(y.destination)),
      );
      expect(JSON.stringify([host.Binds, info.Mounts])).not.toContain('docker.sock');

      // And as the process inside sees it.
      const inside = await shOk('a', 'id -u; grep -E "^(CapEff|CapPrm|NoNewPrivs):" /proc/self/status; if [ -e /var/run/docker.sock ] || [ -e /run/docker.sock ]; then echo socket-present; else echo no-socket; fi');
      const lines = inside.trim().split('\n');
      expect(lines[0]).toBe(String(uid));
      expect(inside).toMatch(/^CapEff:\s+0+$/m);
      expect(inside).toMatch(/^CapPrm:\s+0+$/m);
      expect(inside).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(lines.at(-1)).toBe('no-socket');
    });

    it('takes limits and network: none from isolane.yaml (no interface but lo), and publishes ports on 127.0.0.1 only', async () => {
      await writeConfig('strategy: container\ncontainer:\n  network: none\n  limits:\n    memory: 256m\n    cpus: 0.5\n    pids: 64\n');
      await upContainer('n');
      const n = (await inspectLane('n')).HostConfig;
      expect({ memory: n.Memory, cpus: n.NanoCpus, pids: n.PidsLimit, network: n.NetworkMode }).toEqual({ memory: 256 * 2 ** 20, cpus: 5e8, pids: 64, network: 'none' });
      const dev = await shOk('n', 'cat /proc/net/dev');
      const interfaces = dev
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter(Boolean);
      expect(interfaces).toEqual(['lo']);

      await writeConfig('strategy: container\ncontainer:\n  ports: [3000]\n');
      await upContainer('p');
      const p = await inspectLane('p');
      expect(p.HostConfig.NetworkMode).toBe('isolane-lanes');
      expect(p.HostConfig.PortBindings).toEqual({ '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
      const published = p.NetworkSettings.Ports['3000/tcp'] ?? [];
      expect(published.length).toBeGreaterThan(0);
      for (const b of published) expect(b.HostIp).toBe('127.0.0.1');
      expect(Object.keys(p.NetworkSettings.Ports)).toEqual(['3000/tcp']);
      // Reachable on loopback (the engine's proxy answers), on no other address of this host.
      const port = Number(published[0]!.HostPort);
      expect(await tryConnect('127.0.0.1', port)).toBe('connect');
      const others = Object.values(os.networkInterfaces())
        .flat()
        .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && a.family === 'IPv4')
        .map((a) => a.address);
      for (const address of others) expect(`${address}:${port} ${await tryConnect(address, port)}`).not.toBe(`${address}:${port} connect`);
    });
  });

  it('a container command loads dockerode, and neither ssh2 nor gRPC nor protobufjs (scripts/bundle-cli.mjs loads them only when called)', async () => {
    await upContainer('a');
    const meta = await readMetafile();
    for (const argv of [['ls'], ['run', 'a', '--', 'true']]) {
      const { code, stderr, inputs } = await loadedModules(repo, meta, argv);
      expect(code, stderr).toBe(0);
      const packages = new Set([...inputs].map(packageOf));
      expect(packages.has('dockerode'), `isolane ${argv.join(' ')} talks to the engine: the trace must see it`).toBe(true);
      expect(['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'].filter((p) => packages.has(p))).toEqual([]);
    }
  });

  describe('isolane run', () => {
    it('runs in /workspace as the container user, with the lane variables, passing the exit code through', async () => {
      await upContainer('a');
      const uid = (await inspectLane('a')).Config.User.split(':')[0]!;
      const r = await sh('a', 'pwd; id -u; echo "lane=$ISOLANE_LANE branch=$ISOLANE_BRANCH path=$ISOLANE_PATH host=${ISOLANE_TEST_HOST_ONLY:-unset}"; echo to-stderr >&2; exit 7', {
        ISOLANE_TEST_HOST_ONLY: 'leaked',
      });
      expect(r.code).toBe(7);
      expect(r.stdout).toBe(`/workspace\n${uid}\nlane=a branch=isolane/a path=/workspace host=unset\n`);
      expect(r.stderr).toBe('to-stderr\n');
      expect((await cli(['run', 'a', '--', 'true'])).code).toBe(0);
      expect((await cli(['run', 'a', '--', 'false'])).code).toBe(1);
    });

    it('streams output while the command still runs', async () => {
      await upContainer('a');
      const p = spawnCli(repo, ['run', 'a', '--', 'sh', '-c', 'echo early >&2; sleep 30; echo late >&2']);
      spawned.push(p);
      await p.waitForStderr(/^early$/m);
      expect(p.exited()).toBeUndefined();
      expect(p.stderr()).not.toContain('late');
      await killCli(p);
    });
  });

  describe('git in the container', () => {
    it('status and commit work, with the host repository identity; files appear on the host owned by the container user', async () => {
      await repo.git(['config', 'user.name', 'Lane Author']);
      await repo.git(['config', 'user.email', 'lane@isolane.invalid']);
      const lanePath = await upContainer('a');
      const uid = Number((await inspectLane('a')).Config.User.split(':')[0]);

      expect(await shOk('a', 'git status')).toContain('On branch isolane/a');
      await shOk('a', 'echo made-inside > inside.txt && mkdir -p sub && echo deeper > sub/deep.txt');
      expect(await shOk('a', 'git status --porcelain')).toBe('?? inside.txt\n?? sub/\n');

      // On the host: the same files, owned by the container's (non-root) user.
      expect(await fsp.readFile(path.join(lanePath, 'inside.txt'), 'utf8')).toBe('made-inside\n');
      for (const f of ['inside.txt', 'sub', 'sub/deep.txt']) {
        const st = await fsp.stat(path.join(lanePath, f));
        expect(st.uid, f).toBe(uid);
        expect(st.uid, f).not.toBe(0);
      }
      if (process.getuid && process.getuid() !== 0) expect(uid).toBe(process.getuid());

      await shOk('a', 'git add -A && git commit -q -m "made in a container"');
      expect((await shOk('a', 'git log -1 --format="%an <%ae>|%cn <%ce>|%s"')).trim()).toBe('Lane Author <lane@isolane.invalid>|Lane Author <lane@isolane.invalid>|made in a container');
      expect(await shOk('a', 'git status --porcelain')).toBe('');
    });
  });

  describe("the main repository's .git from inside", () => {
    it('cannot be written: hooks, config, objects (read-only)', async () => {
      await upContainer('a');
      const git = path.join(repo.root, '.git');
      const configBefore = await fsp.readFile(path.join(git, 'config'), 'utf8');
      const objectsBefore = (await fsp.readdir(path.join(git, 'objects'))).sort();
      const attempts = {
        hook: `mkdir -p ${git}/hooks 2>/dev/null; echo '#!/bin/sh' > ${git}/hooks/post-checkout && chmod +x ${git}/hooks/post-checkout`,
        touchHook: `touch ${git}/hooks/x`,
        gitConfig: `git -C ${repo.root} config x.y z`,
        gitDirConfig: `git --git-dir=${git} config x.y z`,
        writeConfig: `printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' >> ${git}/config`,
        object: `touch ${git}/objects/planted`,
        objectDir: `mkdir ${git}/objects/zz`,
        pack: `touch ${git}/objects/pack/planted.pack`,
        info: `echo /tmp > ${git}/objects/info/alternates`,
      };
      for (const [what, script] of Object.entries(attempts)) {
        const r = await sh('a', script);
        expect(r.code, `${what} must fail: ${script}\n${r.stdout}${r.stderr}`).not.toBe(0);
      }
      // The object store is mounted read-only (not merely unwritable for this user).
      const mountinfo = await shOk('a', 'cat /proc/self/mountinfo');
      const objectsMount = mountinfo.split('\n').find((l) => l.split(' ')[4] === path.join(git, 'objects'));
      expect(objectsMount, mountinfo).toBeDefined();
      expect(objectsMount!.split(' ')[5]!.split(',')).toContain('ro');

      // Nothing of it on the host.
      expect(await exists(path.join(git, 'hooks', 'x'))).toBe(false);
      expect(await exists(path.join(git, 'hooks', 'post-checkout'))).toBe(false);
      expect(await fsp.readFile(path.join(git, 'config'), 'utf8')).toBe(configBefore);
      expect(await repo.git(['config', '--get', 'x.y']).catch(() => 'unset')).toBe('unset');
      expect((await fsp.readdir(path.join(git, 'objects'))).sort()).toEqual(objectsBefore);
      expect(await exists(path.join(git, 'objects', 'pack', 'planted.pack'))).toBe(false);
      expect(await exists(path.join(git, 'objects', 'info', 'alternates'))).toBe(false);
    });

    it("the lane's own hooks and config, set from inside, never run on the host (ls, down)", async () => {
      await upContainer('a');
      const marker = path.join(repo.dir, 'pwned');
      await shOk(
        'a',
        [
          'echo w > w.txt && git add w.txt && git commit -q -m w',
          ...['pre-upload-pack', 'post-checkout', 'reference-transaction', 'fsmonitor-watchman'].map((h) => `printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/${h} && chmod +x .git/hooks/${h}`),
          `git config uploadpack.packObjectsHook 'touch ${marker}'`,
          `git config core.alternateRefsCommand 'touch ${marker}'`,
        ].join(' && '),
      );
      expect((await ls(repo)).find((l) => l.lane === 'a')?.state).toBe('ready');
      const down = await cli(['down', 'a', '--keep-branch']);
      expect(down.code, down.stderr).toBe(0);
      expect(await exists(marker)).toBe(false);
    });
  });

  describe('down', () => {
    it('refuses (exit 3) while work is uncommitted or unmerged; --keep-branch brings the commit home and removes container, volumes and directory', async () => {
      const lanePath = await upContainer('a');
      const before = await inspectLane('a');
      const volumes = before.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name!);

      await shOk('a', 'echo wip > wip.txt');
      const dirty = await cli(['down', 'a']);
      expect(dirty.code).toBe(3);
      expect(dirty.stderr).toContain('wip.txt');

      await shOk('a', 'git add wip.txt && git commit -q -m "container work"');
      const oid = (await shOk('a', 'git rev-parse HEAD')).trim();
      const refused = await cli(['down', 'a']);
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain('container work');
      // Refusing changed nothing.
      expect((await inspectLane('a')).State.Running).toBe(true);
      expect(await exists(path.join(lanePath, 'wip.txt'))).toBe(true);
      expect((await readRecord(repo, 'a'))?.state).toBe('ready');

      const kept = await cli(['down', 'a', '--keep-branch']);
      expect(kept.code, kept.stderr).toBe(0);
      expect((await repo.git(['rev-parse', '--verify', 'refs/heads/isolane/a'])).trim()).toBe(oid);
      expect((await repo.git(['log', '-1', '--format=%s', oid])).trim()).toBe('container work');
      expect(await repo.git(['show', `${oid}:wip.txt`])).toBe('wip\n');
      expect(await repo.git(['for-each-ref', 'refs/isolane/'])).toBe('');

      expect(await labelled('a')).toEqual([]);
      expect(await inspectByName(containerName('a'))).toBeUndefined();
      expect((await docker.listVolumes({ filters: { label: [`${LABEL_LANE}=a`] } })).Volumes ?? []).toEqual([]);
      const allVolumes = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name);
      for (const v of volumes) expect(allVolumes).not.toContain(v);
      expect(await exists(lanePath)).toBe(false);
      expect(await readRecord(repo, 'a')).toBeUndefined();
    });

    it('removes only what it labelled: similarly named or labelled containers survive', async () => {
      const other = `${randomBytes(4).toString('hex')}`;
      const similar = await makeForeign(`isolane-${repoId}-a-other`);
      const otherRepo = await makeForeign(`isolane-test-${other}-a`, { [LABEL_LANE]: 'a', [LABEL_REPO]: `not-${repoId}` });
      const laneOnly = await makeForeign(`isolane-test-${other}-lane-only`, { [LABEL_LANE]: 'a' });
      await upContainer('a');
      const r = await cli(['down', 'a']);
      expect(r.code, r.stderr).toBe(0);
      expect(await inspectByName(containerName('a'))).toBeUndefined();
      for (const c of [similar, otherRepo, laneOnly]) {
        const info = await c.inspect();
        expect(info.State.Running, info.Name).toBe(true);
      }
    });

    it('up refuses a container of that name it did not make, leaving it and nothing else behind', async () => {
      const squatter = await makeForeign(containerName('a'));
      // The lanes root itself is shared by every lane and may stay; nothing of lane a may.
      const withoutRoot = async (): Promise<Record<string, unknown>> => {
        const snapshot = await repoSnapshot(repo);
        delete snapshot.lanesRoot;
        return snapshot;
      };
      const before = await withoutRoot();
      lanes.add('a');
      const r = await cli(['up', 'a', '--strategy', 'container']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(containerName('a'));
      expect(await withoutRoot()).toEqual(before);
      expect(await exists(path.join(repo.lanesRoot, 'a'))).toBe(false);
      expect((await squatter.inspect()).State.Running).toBe(true);
      expect(await labelled()).toEqual([]);
    });
  });

  describe('a container a killed up left', () => {
    it('up takes the place of one made for the lane and never started (a container of that name isolane did not make is refused: above)', async () => {
      // What the engine may list after the up that made it was killed mid-request, even once a later up removed it.
      const leftover = await docker.createContainer({ name: containerName('a'), Image: DEFAULT_IMAGE, Cmd: ['sleep', 'infinity'], Labels: { [LABEL_REPO]: repoId, [LABEL_LANE]: 'a' } });
      foreign.push(containerName('a'));
      lanes.add('a');
      const r = await cli(['up', 'a', '--strategy', 'container']);
      expect(r.code, r.stderr).toBe(0);
      const now = await inspectLane('a');
      expect(now.Id).not.toBe(leftover.id);
      expect(now.State.Running).toBe(true);
      expect((await labelled('a')).map((c) => c.Id)).toEqual([now.Id]);
      expect((await cli(['down', 'a'])).code).toBe(0);
    });
  });

  describe('no engine', () => {
    const cases = [
      { name: 'a unix socket that does not exist', host: () => `unix:///tmp/isolane-no-engine-${randomBytes(4).toString('hex')}.sock`, shows: (h: string) => h.slice('unix://'.length) },
      { name: 'a tcp address nobody listens on', host: () => 'tcp://127.0.0.1:1', shows: (h: string) => h },
      // TEST-NET-1: never this machine. Refused before any connection is tried.
      { name: 'an engine on another machine', host: () => 'tcp://192.0.2.1:2375', shows: (h: string) => h },
      { name: 'an engine reached over ssh', host: () => 'ssh://builder@192.0.2.1', shows: (h: string) => h },
    ];
    for (const c of cases) {
      it(`DOCKER_HOST at ${c.name}: up fails before making anything, naming what it tried and how to fix it`, async () => {
        const host = c.host();
        const before = await repoSnapshot(repo);
        for (const [how, run] of [
          ['--strategy container', () => cli(['up', 'x', '--strategy', 'container'], { DOCKER_HOST: host })],
          [
            'strategy: container in isolane.yaml',
            async () => {
              await writeConfig('strategy: container\n');
              return cli(['up', 'x'], { DOCKER_HOST: host });
            },
          ],
        ] as const) {
          const r = await run();
          expect(r.code, `${how}: ${r.stderr}`).not.toBe(0);
          expect(r.stderr, how).toContain(c.shows(host));
          expect(r.stderr, how).toContain('DOCKER_HOST');
          expect(r.stderr, how).toMatch(/start dockerd|set DOCKER_HOST/i);
          if (c.name.startsWith('an engine')) expect(r.stderr, how).toContain('is not on this machine');
          expect(await repoSnapshot(repo), how).toEqual(before);
          expect(await exists(path.join(repo.lanesRoot, 'x')), how).toBe(false);
          expect(await journalFiles(repo), how).toEqual([]);
        }
        expect(await labelled()).toEqual([]);
      });
    }

    it('DOCKER_HOST naming another machine: an existing lane is never taken for gone; down refuses, its container stays', async () => {
      await upContainer('a');
      const elsewhere = { DOCKER_HOST: 'tcp://192.0.2.1:2375' };
      const ls = await cli(['ls', '--json'], elsewhere);
      expect(ls.code, ls.stderr).toBe(0);
      expect(JSON.parse(ls.stdout)).toMatchObject([{ lane: 'a', state: 'ready' }]);
      const down = await cli(['down', 'a'], elsewhere);
      expect(down.code, down.stderr).toBe(3);
      expect((await labelled()).map((c) => c.Labels['isolane.lane'])).toEqual(['a']);
      expect(await exists(path.join(repo.lanesRoot, 'a'))).toBe(true);
    });
  });
});
