/**
 * Shared directories against real npm and the fixture Node project: for each share mode the
 * lane's set-up (npm, offline, from the project's vendored tarballs) passes, and so do its build
 * and tests. What each mode made is read from the filesystem (inodes, link counts, owners), and
 * the main checkout's node_modules is checked to be untouched.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPENDENCY_MODES, dependencyScenario, type DependencyMode } from '../../bench/scenarios/dependencies.js';
import { dockerAvailable } from '../helpers/docker.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('../../fixtures/node-project', import.meta.url));
const engine = await dockerAvailable('share.test.ts');
const INSTALL = '[npm, install, --offline, --no-audit, --no-fund]';
/** A first set-up step that writes down what the seed left before npm runs: symlink, dir or none. */
const SEEN = `[node, -e, "const fs = require('fs'); const s = fs.lstatSync('node_modules', { throwIfNoEntry: false }); fs.writeFileSync('seed.log', s ? (s.isSymbolicLink() ? 'symlink' : 'dir') : 'none')"]`;
let repo: TestRepo;
/** A file of the main checkout's node_modules, and its inode before any lane. */
let probe: string;
let probeIno: number;

const yaml = (text: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);
const lanePath = (lane: string): string => path.join(repo.lanesRoot, lane);

/** The lane's build and tests, run in it through isolane. */
async function buildAndTest(lane: string): Promise<void> {
  const build = await repo.cli(['run', lane, '--', 'npm', 'run', 'build']);
  expect(build.code, build.stderr).toBe(0);
  const test = await repo.cli(['run', lane, '--', 'npm', 'test']);
  expect(test.code, test.stdout + test.stderr).toBe(0);
  expect(test.stdout).toMatch(/# fail 0/);
}

beforeAll(async () => {
  repo = await makeRepo({ files: { 'README.md': '# fixture\n' } });
  await fsp.cp(FIXTURE, repo.root, { recursive: true, filter: (src) => !/node_modules|dist$/.test(src) });
  // A rule without a trailing slash also ignores a symlink named node_modules; cache/ does not.
  await fsp.appendFile(path.join(repo.root, '.gitignore'), 'isolane.yaml\n*.log\n/node_modules\ncache/\n');
  await fsp.mkdir(path.join(repo.root, 'cache'));
  await fsp.writeFile(path.join(repo.root, 'cache', 'entry'), 'cached\n');
  await repo.git(['add', '-A']);
  await repo.git(['commit', '-q', '-m', 'the shop-demo project']);
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: repo.root, env: repo.env });
  probe = path.join(repo.root, 'node_modules', 'debug', 'package.json');
  probeIno = (await fsp.stat(probe)).ino;
}, 120_000);
afterAll(async () => {
  await repo.cleanup();
});

describe('share modes', () => {
  it.each([
    ['copy', 'dir', 'copied'],
    ['auto', 'dir', 'copied'], // ext4 here: no reflink, so auto copies
    ['hardlink', 'dir', 'linked'],
    ['symlink', 'symlink', 'installed'], // npm replaces a symlinked node_modules with a tree of its own
    ['reflink', 'none', 'installed'], // this filesystem cannot clone: skipped, set-up installs
    ['none', 'none', 'installed'],
  ] as const)('%s: set-up passes, then the build and tests pass in the lane', async (mode, seed, expected) => {
    const lane = `m-${mode}`;
    await yaml(`share:\n  - path: node_modules\n    mode: ${mode}\nsetup:\n  - ${SEEN}\n  - ${INSTALL}\n`);
    const up = await repo.cli(['up', lane]);
    expect(up.code, up.stderr).toBe(0);
    expect(await fsp.readFile(path.join(lanePath(lane), 'seed.log'), 'utf8')).toBe(seed);
    const seeded = path.join(lanePath(lane), 'node_modules', 'debug', 'package.json');
    const st = await fsp.lstat(seeded);
    const inMain = await fsp.stat(probe);
    if (expected === 'linked') expect([st.ino, st.nlink > 1]).toEqual([inMain.ino, true]);
    else expect(st.ino).not.toBe(inMain.ino);
    if (expected === 'copied') expect(await fsp.readFile(seeded, 'utf8')).toBe(await fsp.readFile(probe, 'utf8'));
    if (mode === 'reflink') expect(up.stderr).toContain('node_modules not seeded: this filesystem cannot clone files (reflink)');
    expect((await fsp.lstat(path.join(lanePath(lane), 'node_modules'))).isDirectory()).toBe(true);
    await buildAndTest(lane);
    // The main checkout's tree is the one it installed.
    expect((await fsp.stat(probe)).ino).toBe(probeIno);
    const down = await repo.cli(['down', lane]);
    expect(down.code, down.stderr).toBe(0);
  });

  it('a lane whose lockfile differs gets no seed (said so); its set-up still installs and must pass', async () => {
    await repo.git(['checkout', '-q', '-b', 'other-lock']);
    const lock = path.join(repo.root, 'package-lock.json');
    await fsp.writeFile(lock, `${(await fsp.readFile(lock, 'utf8')).trimEnd()}\n\n`);
    await repo.git(['commit', '-q', '-am', 'lockfile rewritten']);
    await repo.git(['checkout', '-q', 'main']);
    await yaml(`share:\n  - path: node_modules\n    mode: hardlink\nsetup:\n  - [npm, ci, --offline, --no-audit, --no-fund]\n`);
    const up = await repo.cli(['up', 'other', '--from', 'other-lock']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain("node_modules not seeded: the lane's package-lock.json differs from the main checkout's package-lock.json");
    expect((await fsp.stat(path.join(lanePath('other'), 'node_modules', 'debug', 'package.json'))).ino).not.toBe(probeIno);
    await buildAndTest('other');
    expect((await repo.cli(['down', 'other'])).code).toBe(0);
  });

  it('a symlink the lane would not ignore is not made (cache/ matches directories only)', async () => {
    await yaml(`share:\n  - path: cache\n    mode: symlink\n  - path: node_modules\n    mode: symlink\n`);
    const up = await repo.cli(['up', 'nolink']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('would not ignore a symlink cache');
    await expect(fsp.lstat(path.join(lanePath('nolink'), 'cache'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fsp.readlink(path.join(lanePath('nolink'), 'node_modules'))).toBe(path.join(repo.root, 'node_modules'));
    expect((await repo.cli(['down', 'nolink'])).code).toBe(0);
  });

  it.runIf(engine)('a container lane: the seed belongs to its user, set-up runs inside, build and tests pass', async () => {
    await yaml(`strategy: container\ncontainer:\n  image: isolane/base:bookworm-node\nshare:\n  - path: node_modules\nsetup:\n  - ${INSTALL}\n`);
    const up = await repo.cli(['up', 'box']);
    try {
      expect(up.code, up.stderr).toBe(0);
      const root = await fsp.lstat(lanePath('box'));
      const st = await fsp.lstat(path.join(lanePath('box'), 'node_modules', 'debug', 'package.json'));
      expect([st.uid, st.gid]).toEqual([root.uid, root.gid]);
      await buildAndTest('box');
    } finally {
      await repo.cli(['down', 'box', '--force']);
    }
  });
});

describe('the dependencies bench scenario', () => {
  it('measures a fresh npm ci and every share mode, and each lane it timed builds and passes its tests', async () => {
    const work = path.join(repo.dir, 'bench');
    await fsp.mkdir(work);
    const points = await dependencyScenario(work, repo.env, 1, () => {});
    expect(points.map((p) => [p.mode, p.failed, p.up.runs])).toEqual(DEPENDENCY_MODES.map((m) => [m, undefined, 1]));
    const by = new Map(points.map((p) => [p.mode, p]));
    // Seeds used where this filesystem allows them (ext4: no reflink, so auto copies).
    expect(['copy', 'hardlink', 'symlink', 'auto'].map((m) => [m, by.get(m as DependencyMode)?.seeded])).toEqual(['copy', 'hardlink', 'symlink', 'auto'].map((m) => [m, true]));
    expect(by.get('fresh')?.seeded).toBe(false);
    // Hard links cost the lane no blocks for node_modules: less than a copy's.
    expect(by.get('hardlink')?.fsBytesPerLane).toBeLessThan(by.get('copy')?.fsBytesPerLane ?? 0);
  }, 120_000);
});
