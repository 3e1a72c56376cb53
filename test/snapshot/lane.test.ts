/**
 * A snapshot lane end to end, as strategies/snapshot.ts will make it, over a base of 5,000
 * files: `git worktree add --no-checkout`, the worktree's .git file in the upper layer, an
 * overlay (kernel, then fuse) of the shared base, the base's index copied into the worktree's
 * admin dir. Then: git status is clean without git rewriting the index, git diff is quiet, every
 * file reads as the commit has it, a commit lands on the lane's branch in the main repository,
 * and the upper layer holds only what the lane wrote. Timings are printed.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepo } from '../../fixtures/generate-repo.js';
import { worktreeAdminDir } from '../../src/git/worktree-admin.js';
import type { MountingBackend } from '../../src/snapshot/backend.js';
import { acquireBase, releaseBase, type AcquiredBase, type BaseIo } from '../../src/snapshot/base-checkout.js';
import { copyGitFileToUpper, copyLaneIndex } from '../../src/snapshot/lane-index.js';
import { mountLayer, unmountLayer } from '../../src/snapshot/mount.js';
import { baseIo, diskBytes, filesUnder, fuseMissing, kernelMissing, mountPointsUnder, testContext, unmountAllAndRemove } from '../helpers/snapshot.js';

const FILE = 'lane.test.ts';
const kernel = await kernelMissing(FILE);
const fuse = await fuseMissing(FILE);
const backends = [...(kernel ? [] : ['kernel' as const]), ...(fuse ? [] : ['fuse' as const])];
const FILES = 5000;
const MiB = 2 ** 20;

let dir: string;
let repoRoot: string;
let oid: string;
let io: BaseIo;
let base: AcquiredBase;
let gitEnv: Record<string, string>;

const ms = (since: number): string => `${(performance.now() - since).toFixed(0)} ms`;
const note = (line: string): boolean => process.stderr.write(`${FILE}: ${line}\n`);
const git = async (cwd: string, args: readonly string[], input?: string): Promise<{ stdout: string; exitCode: number | undefined }> => {
  const r = await execa('git', [...args], { cwd, env: gitEnv, extendEnv: false, reject: false, timeout: 60_000, ...(input === undefined ? {} : { input }) });
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${String(r.stderr)}`);
  return { stdout: String(r.stdout), exitCode: r.exitCode };
};
const sha = async (file: string): Promise<string> => createHash('sha256').update(await fsp.readFile(file)).digest('hex');

beforeAll(async () => {
  if (backends.length === 0) return;
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-snap-lane-')));
  gitEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
  let started = performance.now();
  const generated = await generateRepo(path.join(dir, 'repo'), { files: FILES, commits: 1, dirs: 500, meanFileBytes: 3000, seed: 5 });
  note(`generated a ${generated.files}-file repository in ${ms(started)}`);
  repoRoot = generated.path;
  oid = generated.head;
  io = baseIo(testContext(dir), repoRoot, path.join(repoRoot, '.git'), path.join(dir, 'state'));
  started = performance.now();
  base = await acquireBase(io, oid, 'holder');
  note(`built the base (${FILES} files: read-tree, checkout-index, index rewrite, read-only bind) in ${ms(started)}`);
}, 60_000);
afterAll(async () => {
  await unmountAllAndRemove(dir);
});

// 5,000 files checked out and hashed twice: the full suite's, not the fast loop's.
describe.skipIf(backends.length === 0).each(backends)('a lane over a %s overlay', { tags: ['slow'] }, (backend: MountingBackend) => {
  const lane = `lane-${backend}`;
  const branch = `isolane/${lane}`;
  let lanePath: string;
  let upper: string;
  let adminIndex: string;

  afterAll(async () => {
    if (lanePath) await unmountLayer(backend, lanePath, io.ctx);
    await releaseBase(io, oid, lane);
  });

  it('is ready in a few ms: a worktree with no files, the shared base mounted under it, its index copied', async () => {
    lanePath = path.join(dir, 'lanes', lane);
    upper = path.join(dir, 'state', 'layers', lane, 'upper');
    const work = path.join(dir, 'state', 'layers', lane, 'work');
    await Promise.all([fsp.mkdir(upper, { recursive: true }), fsp.mkdir(work, { recursive: true })]);
    const laneBase = await acquireBase(io, oid, lane);
    expect(laneBase.built).toBe(false);
    let started = performance.now();
    await git(repoRoot, ['worktree', 'add', '--quiet', '--no-checkout', '-b', branch, lanePath, oid]);
    const added = ms(started);
    started = performance.now();
    const admin = await worktreeAdminDir(path.join(repoRoot, '.git'), lanePath);
    if (!('dir' in admin)) throw new Error(admin.problem);
    await copyGitFileToUpper(lanePath, upper);
    await mountLayer(backend, { lower: laneBase.tree, upper, work, target: lanePath }, io.ctx);
    adminIndex = await copyLaneIndex(laneBase.index, admin.dir);
    note(`${backend}: worktree add --no-checkout ${added}; .git file, mount and index copy ${ms(started)}`);
    expect(await mountPointsUnder(lanePath)).toEqual([lanePath]);
    expect(adminIndex).toBe(path.join(admin.dir, 'index'));
    expect(await sha(adminIndex)).toBe(await sha(laneBase.index));
  });

  it('git status is clean and git leaves the index as it was: no entry re-hashed or rewritten', async () => {
    const before = { sha: await sha(adminIndex), mtime: (await fsp.stat(adminIndex, { bigint: true })).mtimeNs };
    // Racy git: an entry not older than the index would be re-read at every status.
    let newest = 0n;
    for (const e of await fsp.readdir(base.tree, { withFileTypes: true, recursive: true })) {
      if (e.isDirectory()) continue;
      const st = await fsp.lstat(path.join(e.parentPath, e.name), { bigint: true });
      if (st.mtimeNs > newest) newest = st.mtimeNs;
    }
    // In whole seconds: git built without USE_NSEC (as Debian's) compares no finer.
    const second = (ns: bigint): bigint => ns / 1_000_000_000n;
    expect(second(before.mtime) > second(newest)).toBe(true);
    expect(second((await fsp.stat(base.index, { bigint: true })).mtimeNs) > second(newest)).toBe(true);

    let started = performance.now();
    const status = await git(lanePath, ['status', '--porcelain']);
    const first = ms(started);
    started = performance.now();
    await git(lanePath, ['status', '--porcelain']);
    note(`${backend}: first git status ${first}, second ${ms(started)}`);
    expect(status.stdout).toBe('');
    expect((await git(lanePath, ['diff', '--quiet'])).exitCode).toBe(0);
    expect((await git(lanePath, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim()).toBe(branch);
    // Nothing was refreshed: the index file is the very copy (same bytes, same mtime).
    expect(await sha(adminIndex)).toBe(before.sha);
    expect((await fsp.stat(adminIndex, { bigint: true })).mtimeNs).toBe(before.mtime);
  });

  it('every file reads through the mount as the commit has it', async () => {
    const listed = (await git(repoRoot, ['ls-tree', '-r', '--full-tree', oid])).stdout.trim().split('\n');
    const expected = listed.map((line) => /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line)!.slice(1, 3) as [string, string]);
    expect(expected).toHaveLength(FILES);
    const started = performance.now();
    const hashed = (await git(lanePath, ['hash-object', '--no-filters', '--stdin-paths'], expected.map(([, p]) => p).join('\n') + '\n')).stdout.trim().split('\n');
    note(`${backend}: read and hashed all ${FILES} files through the mount in ${ms(started)}`);
    expect(hashed).toEqual(expected.map(([blob]) => blob));
  });

  it('a commit made in the lane lands on its branch in the main repository; the upper holds only what the lane wrote', async () => {
    const edited = (await git(repoRoot, ['ls-tree', '-r', '--name-only', oid])).stdout.split('\n')[42]!;
    await fsp.appendFile(path.join(lanePath, edited), '\n// changed in the lane\n');
    await fsp.writeFile(path.join(lanePath, 'NOTES.md'), `notes of ${lane}\n`);
    expect((await git(lanePath, ['status', '--porcelain'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['?? NOTES.md', ` M ${edited}`].sort());
    await git(lanePath, ['add', '--all']);
    await git(lanePath, ['commit', '--quiet', '-m', `work in ${lane}`]);
    const head = (await git(lanePath, ['rev-parse', 'HEAD'])).stdout.trim();
    expect((await git(repoRoot, ['rev-parse', `refs/heads/${branch}`])).stdout.trim()).toBe(head);
    expect((await git(repoRoot, ['log', '-1', '--format=%s', branch])).stdout.trim()).toBe(`work in ${lane}`);
    expect((await git(repoRoot, ['diff', '--name-only', oid, branch])).stdout.trim().split('\n').sort()).toEqual(['NOTES.md', edited].sort());
    expect((await git(lanePath, ['status', '--porcelain'])).stdout).toBe('');
    // The main checkout and the base did not move.
    expect((await git(repoRoot, ['status', '--porcelain'])).stdout).toBe('');
    expect((await fsp.readFile(path.join(base.tree, edited), 'utf8')).endsWith('// changed in the lane\n')).toBe(false);

    const inUpper = await filesUnder(upper);
    const bytes = await diskBytes(upper);
    note(`${backend}: after one commit the upper layer holds ${inUpper.length} files, ${(bytes / 1024).toFixed(0)} KiB on disk`);
    expect(inUpper).toEqual(['.git', 'NOTES.md', edited].sort());
    expect(bytes).toBeLessThan(MiB);
  });

  it('unmounts: the lane directory is back to what git worktree add left', async () => {
    await unmountLayer(backend, lanePath, io.ctx);
    expect(await mountPointsUnder(lanePath)).toEqual([]);
    expect(await fsp.readdir(lanePath)).toEqual(['.git']);
  });
});
