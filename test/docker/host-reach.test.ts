/**
 * What a container lane takes from the host, against a real engine: the host's CA trust (npm and
 * git over HTTPS to a server whose certificate a throwaway CA signed), proxy variables,
 * container.env and container.mounts; the named user and the lane in the prompt; published ports
 * in `ls`; a command missing from the image. Facts come from the engine, the host filesystem and
 * the commands' own output.
 */
import { execFile, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { Isolane } from '../../src/index.js';
import { spawnCli, killGroup, type Spawned } from '../helpers/crash.js';
import { dockerAvailable } from '../helpers/docker.js';
import { CLI, exists, makeRepo, type CliResult, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);
const engine = await dockerAvailable('host-reach.test.ts');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const NODE_IMAGE = `${DEFAULT_IMAGE}-node`;
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

let repo: TestRepo;
let repoId: string;
const lanes = new Set<string>();
const spawned: Spawned[] = [];

const writeConfig = (yaml: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), yaml);

async function up(lane: string, env?: Record<string, string>): Promise<CliResult> {
  lanes.add(lane);
  const r = await repo.cli(['up', lane, '--strategy', 'container'], env ? { env } : {});
  expect(r.code, `isolane up ${lane}\n${r.stderr}`).toBe(0);
  return r;
}

function sh(lane: string, script: string): Promise<CliResult> {
  return repo.cli(['run', lane, '--', 'sh', '-c', script]);
}

async function shOk(lane: string, script: string): Promise<string> {
  const r = await sh(lane, script);
  expect(r.code, `in lane ${lane}: ${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

const inspectLane = (lane: string): Promise<Docker.ContainerInspectInfo> => docker.getContainer(`isolane-${repoId}-${lane}`).inspect();

/** The CLI with `input` on its stdin (not a terminal). */
function cliWithInput(args: readonly string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repo.root, env: repo.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  if (!engine) return;
  repo = await makeRepo();
  repoId = (await Isolane.open({ cwd: repo.root, env: repo.env })).project.repo.id;
});

afterAll(async () => {
  if (!engine) return;
  for (const p of spawned.splice(0)) {
    killGroup(p.pid);
    await p.closed.catch(() => undefined);
  }
  for (const lane of lanes) await repo.cli(['down', lane, '--force']);
  for (const info of await docker.listContainers({ all: true, filters: { label: [`isolane.repo=${repoId}`] } })) {
    await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
  await repo.cleanup();
});

/**
 * A throwaway CA, a certificate it signed for `ip`, and an HTTPS server on ip:<free port> that
 * serves an npm package tarball (/tiny-trust.tgz) and a git repository over git's dumb HTTP
 * protocol (/served.git/...). It sends its certificate with the CA's, as TLS-inspecting proxies do.
 */
async function startTlsServer(dir: string, ip: string): Promise<{ url: string; caFile: string; close: () => Promise<void> }> {
  const openssl = (args: string[]) => execFileP('openssl', args, { cwd: dir, timeout: 60_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=isolane throwaway test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ip}`]);
  await fsp.writeFile(path.join(dir, 'server.ext'), `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);

  // The package npm installs, and a repository git clones.
  await fsp.mkdir(path.join(dir, 'pkg', 'package'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'pkg', 'package', 'package.json'), '{"name":"tiny-trust","version":"1.0.0","main":"index.js"}\n');
  await fsp.writeFile(path.join(dir, 'pkg', 'package', 'index.js'), 'module.exports = "trusted";\n');
  await execFileP('tar', ['-czf', path.join(dir, 'tiny-trust.tgz'), '-C', path.join(dir, 'pkg'), 'package']);
  const served = path.join(dir, 'served.git');
  await repo.git(['clone', '--quiet', '--bare', repo.root, served], dir);
  await repo.git(['update-server-info'], served);

  const [key, cert, ca] = await Promise.all(['server.key', 'server.crt', 'ca.crt'].map((f) => fsp.readFile(path.join(dir, f), 'utf8')));
  const server = https.createServer({ key, cert: `${cert}${ca}` }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const file =
      url.pathname === '/tiny-trust.tgz'
        ? path.join(dir, 'tiny-trust.tgz')
        : url.pathname.startsWith('/served.git/')
          ? path.join(served, path.normalize(url.pathname.slice('/served.git/'.length)))
          : undefined;
    if (!file || !file.startsWith(dir)) return void res.writeHead(404).end();
    fsp.readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { url: `https://${ip}:${port}`, caFile: path.join(dir, 'ca.crt'), close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!engine)('what a container lane takes from the host', () => {
  it("trusts the host's CA bundle: npm install and git clone over HTTPS through a throwaway CA succeed with it and fail without", async () => {
    // Without trust first: this lane also makes the lanes network, whose gateway the server listens on.
    await writeConfig(`container:\n  image: ${NODE_IMAGE}\n  caBundle: off\n`);
    await up('untrusted');
    const gateway = (await docker.getNetwork('isolane-lanes').inspect()).IPAM?.Config?.[0]?.Gateway;
    expect(gateway, 'isolane-lanes gateway').toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const dir = await fsp.mkdtemp(path.join(repo.dir, 'tls-'));
    const server = await startTlsServer(dir, gateway!);
    try {
      const npmInstall = `npm install --no-audit --no-fund --no-update-notifier --fetch-retries=0 --registry ${server.url}/ ${server.url}/tiny-trust.tgz`;
      const gitClone = `git clone --quiet ${server.url}/served.git /tmp/served && cat /tmp/served/README.md`;

      const refusedNpm = await sh('untrusted', npmInstall);
      expect(refusedNpm.code, refusedNpm.stdout + refusedNpm.stderr).not.toBe(0);
      expect(refusedNpm.stdout + refusedNpm.stderr).toMatch(/SELF_SIGNED_CERT_IN_CHAIN/);
      const refusedGit = await sh('untrusted', gitClone);
      expect(refusedGit.code).not.toBe(0);
      // Debian's git speaks TLS through GnuTLS, which words it so; OpenSSL builds say "SSL certificate problem".
      expect(refusedGit.stderr).toMatch(/server certificate verification failed|SSL certificate problem/);
      expect(await exists(path.join(repo.lanesRoot, 'untrusted', 'node_modules', 'tiny-trust'))).toBe(false);

      // The host trusts the CA: its bundle (the system's plus the CA) is what SSL_CERT_FILE names
      // for isolane. caBundle: auto (the default) hands that trust to the lane.
      const bundle = path.join(dir, 'host-bundle.pem');
      const system = (await exists(SYSTEM_BUNDLE)) ? await fsp.readFile(SYSTEM_BUNDLE, 'utf8') : '';
      await fsp.writeFile(bundle, `${system}${await fsp.readFile(server.caFile, 'utf8')}`);
      await writeConfig(`container:\n  image: ${NODE_IMAGE}\n`);
      await up('trusted', { SSL_CERT_FILE: bundle });
      const mounts = (await inspectLane('trusted')).Mounts.map((m) => ({ source: m.Source, destination: m.Destination, rw: m.RW }));
      expect(mounts).toContainEqual({ source: bundle, destination: '/etc/isolane/ca/bundle.crt', rw: false });
      expect((await shOk('trusted', 'echo "$SSL_CERT_FILE $GIT_SSL_CAINFO $NODE_EXTRA_CA_CERTS"')).trim()).toBe(Array(3).fill('/etc/isolane/ca/bundle.crt').join(' '));

      await shOk('trusted', npmInstall);
      expect(await fsp.readFile(path.join(repo.lanesRoot, 'trusted', 'node_modules', 'tiny-trust', 'index.js'), 'utf8')).toBe('module.exports = "trusted";\n');
      expect((await shOk('trusted', 'node -p \'require("tiny-trust")\'')).trim()).toBe('trusted');
      expect(await shOk('trusted', gitClone)).toBe('# fixture\n');

      // caBundle: <path>, relative to the repository root, is trusted the same way.
      await fsp.copyFile(bundle, path.join(repo.root, 'team-ca.pem'));
      await writeConfig('container:\n  caBundle: team-ca.pem\n');
      await up('by-path');
      expect(await shOk('by-path', gitClone)).toBe('# fixture\n');
    } finally {
      await server.close();
    }
  });

  it('passes container.env, the host proxy variables (warning of a loopback proxy) and mounts, read-only unless asked', async () => {
    const shared = path.join(repo.dir, 'shared');
    const scratch = path.join(repo.dir, 'scratch');
    await fsp.mkdir(shared);
    await fsp.mkdir(scratch);
    await fsp.writeFile(path.join(shared, 'data.txt'), 'from the host\n');
    // A writable mount must be writable by the lane's user (the host's uid; 65532 under root).
    const uid = process.getuid?.() || 65532;
    await fsp.chown(scratch, uid, uid);
    await fsp.symlink(shared, path.join(repo.dir, 'shared-link'));
    await writeConfig(
      [
        'container:',
        '  env:',
        '    GREETING: hello there',
        '    DEBUG: 1',
        '  mounts:',
        '    - source: ../shared-link', // a symlink: mounted as what it points at
        '      target: /data',
        '    - source: ../scratch',
        '      target: /scratch',
        '      readOnly: false',
        '',
      ].join('\n'),
    );
    const proxies = { HTTPS_PROXY: 'http://127.0.0.1:3128', http_proxy: 'http://proxy.internal:8080', NO_PROXY: 'localhost,.internal' };
    const made = await up('envy', proxies);
    expect(made.stderr).toMatch(/warning: HTTPS_PROXY=http:\/\/127\.0\.0\.1:3128: a proxy on the host's loopback cannot be reached from a container/);
    expect(made.stderr).not.toMatch(/http_proxy=/);

    const env = await shOk('envy', 'echo "$GREETING|$DEBUG|$HTTPS_PROXY|$http_proxy|$NO_PROXY|${HTTP_PROXY:-unset}"');
    expect(env).toBe('hello there|1|http://127.0.0.1:3128|http://proxy.internal:8080|localhost,.internal|unset\n');

    const mounts = (await inspectLane('envy')).Mounts.map((m) => ({ source: m.Source, destination: m.Destination, rw: m.RW }));
    expect(mounts).toContainEqual({ source: shared, destination: '/data', rw: false });
    expect(mounts).toContainEqual({ source: scratch, destination: '/scratch', rw: true });
    expect(await shOk('envy', 'cat /data/data.txt')).toBe('from the host\n');
    const readOnly = await sh('envy', 'echo planted > /data/planted.txt');
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toMatch(/Read-only file system/);
    expect(await exists(path.join(shared, 'planted.txt'))).toBe(false);
    await shOk('envy', 'echo written > /scratch/out.txt');
    expect(await fsp.readFile(path.join(scratch, 'out.txt'), 'utf8')).toBe('written\n');

    // container.env is read again at each run: an edit applies to the lane without a new one.
    await writeConfig('container:\n  env:\n    GREETING: edited\n');
    expect(await shOk('envy', 'echo "$GREETING"')).toBe('edited\n');

    // container.proxy: off keeps the host's proxies out.
    await writeConfig('container:\n  proxy: off\n');
    const quiet = await up('no-proxy', proxies);
    expect(quiet.stderr).not.toMatch(/proxy/i);
    expect(await shOk('no-proxy', 'echo "${HTTPS_PROXY:-unset}|${http_proxy:-unset}|${NO_PROXY:-unset}"')).toBe('unset|unset|unset\n');
  });

  it('the container user has a name and the prompt names the lane', async () => {
    await writeConfig('strategy: container\n');
    await up('named');
    const uid = (await inspectLane('named')).Config.User.split(':')[0];
    expect(await shOk('named', 'whoami; id -un; id -u; hostname')).toBe(`isolane\nisolane\n${uid}\nnamed\n`);
    // What an interactive login bash in the lane shows as its prompt.
    expect(await shOk('named', 'bash -lic \'printf "%s" "${PS1@P}"\' 2>/dev/null')).toBe('isolane@named:/workspace$ ');
    const shell = await cliWithInput(['shell', 'named'], 'whoami; hostname; pwd\n');
    expect(shell.code, shell.stderr).toBe(0);
    expect(shell.stdout).toBe('isolane\nnamed\n/workspace\n');
  });

  it("isolane run of a command the lane's image lacks: exit 127, naming the image and how to get Node.js", async () => {
    await writeConfig('strategy: container\n');
    await up('bare');
    const r = await repo.cli(['run', 'bare', '--', 'npm', 'install']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain(`npm: command not found in the image ${DEFAULT_IMAGE}`);
    expect(r.stderr).toContain('isolane image build --node');
    expect(r.stdout + r.stderr).not.toContain('OCI runtime');
    const other = await repo.cli(['run', 'bare', '--', 'no-such-tool']);
    expect(other.code).toBe(127);
    expect(other.stderr).toContain('no-such-tool: command not found in the image');
    expect(other.stderr).not.toContain('--node');
    // Output that merely starts like the runtime's complaint is the command's own, and passes.
    const lookalike = await repo.cli(['run', 'bare', '--', 'printf', 'OCI']);
    expect(lookalike).toEqual({ code: 0, stdout: 'OCI', stderr: '' });
  });

  it('ls shows where each published port is served, and that address reaches the lane', async () => {
    await writeConfig(`container:\n  image: ${NODE_IMAGE}\n  ports: [3000]\n`);
    await up('web');
    const bound = (await inspectLane('web')).NetworkSettings.Ports['3000/tcp']?.[0];
    const hostPort = Number(bound?.HostPort);
    expect(hostPort).toBeGreaterThan(0);

    const json = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; ports?: unknown }>;
    expect(json.find((l) => l.lane === 'web')?.ports).toEqual([{ container: 3000, host: hostPort, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    const human = (await repo.cli(['ls'])).stdout.split('\n');
    expect(human[0]).toMatch(/\bPORTS\b/);
    expect(human.find((l) => l.startsWith('web '))).toContain(`127.0.0.1:${hostPort}->3000`);

    const server = spawnCli(repo, ['run', 'web', '--', 'node', '-e', 'require("http").createServer((q, s) => s.end(process.env.ISOLANE_LANE)).listen(3000, () => console.error("listening"))']);
    spawned.push(server);
    await server.waitForStderr(/^listening$/m);
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: hostPort }, (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (d: string) => (data += d)).on('end', () => resolve(data));
      }).on('error', reject);
    });
    expect(body).toBe('web');
  });
});
