/**
 * container.mounts, caBundle and env that must never reach a lane: each is refused with exit 2,
 * the file, line and column, and nothing is made. DOCKER_HOST points at nothing, so a refusal
 * (rather than "no engine") proves the check runs before any Docker call.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Isolane } from '../../src/index.js';
import { journalFiles, repoSnapshot } from '../helpers/crash.js';
import { dockerAvailable } from '../helpers/docker.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);
const engine = await dockerAvailable('mounts.test.ts');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/isolane-test-docker.sock' };

let repo: TestRepo;
let repoId: string;
let socketServer: net.Server | undefined;

const mountYaml = (source: string, target = '/data'): string => `container:\n  mounts:\n    - source: ${source}\n      target: ${target}\n`;

beforeAll(async () => {
  if (!engine) return;
  repo = await makeRepo();
  repoId = (await Isolane.open({ cwd: repo.root, env: repo.env })).project.repo.id;
  await fsp.mkdir(repo.lanesRoot);
  await fsp.symlink('/var/run', path.join(repo.dir, 'run-link'));
  await fsp.symlink(path.join(repo.root, '.git'), path.join(repo.dir, 'git-link'));
  await execFileP('mkfifo', [path.join(repo.dir, 'fifo')]);
  await fsp.writeFile(path.join(repo.dir, 'not-pem.txt'), 'not a certificate\n');
  socketServer = net.createServer();
  await new Promise<void>((resolve) => socketServer!.listen(path.join(repo.dir, 'app.sock'), resolve));
});

afterAll(async () => {
  if (!engine) return;
  await new Promise((resolve) => socketServer?.close(resolve));
  await repo.cleanup();
});

describe.skipIf(!engine)('what container lanes are refused, before anything is made', () => {
  const src = 'isolane.yaml:3:7 container.mounts.0.source: ';
  const tgt = 'isolane.yaml:4:7 container.mounts.0.target: ';
  const cases: ReadonlyArray<readonly [string, () => string, string | RegExp]> = [
    ['the Docker socket', () => mountYaml('/var/run/docker.sock'), `${src}/var/run/docker.sock`],
    ['a symlink to the directory holding it', () => mountYaml('../run-link'), /holds the container engine's socket/],
    ["the main repository's .git", () => mountYaml('.git'), /is the main repository's \.git/],
    ['a symlink to it', () => mountYaml('../git-link'), /git-link \(.*\/\.git\) is the main repository's \.git/],
    ['a directory inside it', () => mountYaml('.git/hooks'), /lies inside the main repository's \.git/],
    ['the repository root, which holds it', () => mountYaml('.'), /holds the main repository's \.git/],
    ['the lanes root', () => mountYaml('../repo.lanes'), /is the lanes root/],
    ['a socket', () => mountYaml('../app.sock'), /app\.sock is a socket/],
    ['a FIFO', () => mountYaml('../fifo'), /is neither a file nor a directory/],
    ['the kernel views', () => mountYaml('/proc/self'), /lies inside \/proc/],
    ['a missing source', () => mountYaml('nope'), /nope cannot be mounted: it does not exist/],
    ['a relative target', () => mountYaml('src', 'data'), `${tgt}expected an absolute path`],
    ['a target with ..', () => mountYaml('src', '/data/../etc'), `${tgt}expected a plain absolute path`],
    ['a target over /workspace', () => mountYaml('src', '/workspace/src'), `${tgt}overlaps /workspace`],
    ['a target hiding /etc', () => mountYaml('src', '/etc'), `${tgt}would hide the image's /etc`],
    ['a target over the main object store', () => mountYaml('src', repo.root), /container\.mounts\.0\.target: .* overlaps .*\.git\/objects, where the main object store is mounted/],
    ['targets that overlap', () => `${mountYaml('src', '/data')}    - source: src\n      target: /data/more\n`, 'isolane.yaml:6:7 container.mounts.1.target: overlaps the target of mount 0 (/data)'],
    ['a caBundle that is no PEM bundle', () => 'container:\n  caBundle: ../not-pem.txt\n', 'isolane.yaml:2:3 container.caBundle: '],
    ['a caBundle that is the Docker socket', () => 'container:\n  caBundle: /var/run/docker.sock\n', /container\.caBundle: .*engine's socket/],
    ['an env name that is not one', () => 'container:\n  env:\n    bad-name: x\n', 'isolane.yaml:3:5 container.env.bad-name: expected a variable name'],
    ["an env name of isolane's own", () => 'container:\n  env:\n    ISOLANE_LANE: x\n', "isolane.yaml:3:5 container.env.ISOLANE_LANE: ISOLANE_* variables are isolane's own"],
    ['an env variable that moves git elsewhere', () => 'container:\n  env:\n    GIT_INDEX_FILE: /tmp/other\n', 'isolane.yaml:3:5 container.env.GIT_INDEX_FILE: would change what git in the lane reads'],
  ];

  it.each(cases)('refuses %s: exit 2 with file:line:col, nothing made', async (_what, yaml, expected) => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), yaml());
    const before = await repoSnapshot(repo);
    const r = await repo.cli(['up', 'm', '--strategy', 'container'], { env: NO_ENGINE });
    expect(r.code, r.stderr).toBe(2);
    if (typeof expected === 'string') expect(r.stderr).toContain(expected);
    else expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(/no Docker engine/);
    expect(await repoSnapshot(repo)).toEqual(before);
    expect(await journalFiles(repo)).toEqual([]);
    expect(await exists(path.join(repo.lanesRoot, 'm'))).toBe(false);
    expect(await docker.listContainers({ all: true, filters: { label: [`isolane.repo=${repoId}`] } })).toEqual([]);
  });

  it('a valid configuration gets past the checks, to the engine (which is not there)', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), mountYaml('src'));
    const r = await repo.cli(['up', 'm', '--strategy', 'container'], { env: NO_ENGINE });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no Docker engine answered/);
  });
});
