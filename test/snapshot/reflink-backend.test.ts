/**
 * The reflink backend on an XFS with reflink=1 (a loop file): the probe says yes when the state
 * dir and the lanes root share that filesystem, and why not when they do not; a lane's files
 * are clones of the base's (the filesystem barely grows for an 8 MiB file), it is no mount, and
 * its git status is clean after the base's index is copied in. Needs root and xfsprogs, like
 * test/resources/reflink.test.ts; else skips, saying why (a failure under CI=true).
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worktreeAdminDir } from '../../src/git/worktree-admin.js';
import { probeSnapshotBackends } from '../../src/snapshot/backends.js';
import { acquireBase, releaseBase, type BaseIo } from '../../src/snapshot/base-checkout.js';
import { copyLaneIndex } from '../../src/snapshot/lane-index.js';
import { mountLayer, unmountLayer } from '../../src/snapshot/mount.js';
import { isMounted } from '../../src/snapshot/mountinfo.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { baseIo, mountPointsUnder, sys, testContext } from '../helpers/snapshot.js';
import { makeXfsLoop, xfsLoopMissing, type XfsLoop } from '../helpers/xfs-loop.js';

const FILE = 'reflink-backend.test.ts';
const MiB = 2 ** 20;
const missing = await xfsLoopMissing();
if (missing) {
  if (process.env.CI === 'true') throw new Error(`CI=true but ${FILE} cannot run: ${missing}`);
  process.stderr.write(`${FILE}: skipping, ${missing}\n`);
}

let xfs: XfsLoop | undefined;
let repo: TestRepo;
let io: BaseIo;
let stateDir: string;
let lanesRoot: string;
let oid: string;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

const sha = async (file: string): Promise<string> => createHash('sha256').update(await fsp.readFile(file)).digest('hex');

/** Bytes in use on the filesystem at `dir`, after everything written so far reached it. */
async function usedBytes(dir: string): Promise<number> {
  await sys('sync', ['-f', dir]);
  const st = await fsp.statfs(dir);
  return (st.blocks - st.bfree) * st.bsize;
}

describe.skipIf(missing !== undefined)('the reflink backend on XFS', () => {
  beforeAll(async () => {
    xfs = await makeXfsLoop(512);
    repo = await makeRepo({ base: xfs.mnt, files: { 'README.md': '# fixture\n', 'src/app.js': 'console.log("app");\n' } });
    await fsp.writeFile(path.join(repo.root, 'assets.bin'), randomBytes(8 * MiB));
    await repo.git(['add', 'assets.bin']);
    await repo.git(['commit', '--quiet', '-m', 'assets']);
    oid = (await repo.git(['rev-parse', 'HEAD'])).trim();
    stateDir = path.join(repo.root, '.git', 'isolane');
    lanesRoot = repo.lanesRoot;
    await fsp.mkdir(lanesRoot);
    io = baseIo(testContext(path.join(repo.dir, 'home')), repo.root, path.join(repo.root, '.git'), stateDir);
  }, 60_000);
  afterAll(async () => {
    if (xfs) {
      for (const p of await mountPointsUnder(xfs.mnt)) if (p !== xfs.mnt) await sys('umount', [p]).catch(() => sys('umount', ['-l', p]));
      await xfs.dispose();
    }
  }, 60_000);

  it('the probe says yes with the state dir and the lanes root on the XFS, and why not with the state dir on another filesystem', async () => {
    const yes = await probeSnapshotBackends({ scratchDir: stateDir, lanesRoot, env });
    expect(yes.tried.find((t) => t.backend === 'reflink')).toEqual({ backend: 'reflink', ok: true });
    expect(yes.usable).toContain('reflink');
    expect(await fsp.readdir(lanesRoot)).toEqual([]);

    const elsewhere = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-snap-state-'));
    try {
      if ((await fsp.stat(elsewhere)).dev === (await fsp.stat(lanesRoot)).dev) return;
      const no = await probeSnapshotBackends({ scratchDir: elsewhere, lanesRoot, env });
      const reflink = no.tried.find((t) => t.backend === 'reflink');
      expect(reflink?.ok).toBe(false);
      expect(reflink?.why).toMatch(new RegExp(`^${elsewhere} \\(\\S+\\) and ${lanesRoot} \\(XFS\\) are on different filesystems, and a clone cannot cross them`));
      expect(no.usable).not.toContain('reflink');
    } finally {
      await fsp.rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('a lane is a directory of clones of the base: no mount, next to no disk, git status clean', async () => {
    const base = await acquireBase(io, oid, 'clone-lane');
    const lanePath = path.join(lanesRoot, 'clone-lane');
    await repo.git(['worktree', 'add', '--quiet', '--no-checkout', '-b', 'isolane/clone-lane', lanePath, oid]);
    const admin = await worktreeAdminDir(path.join(repo.root, '.git'), lanePath);
    if (!('dir' in admin)) throw new Error(admin.problem);

    const before = await usedBytes(xfs!.mnt);
    let started = performance.now();
    // upper and work mean nothing to reflink: the lane's own directory takes the writes.
    await mountLayer('reflink', { lower: base.tree, upper: lanePath, work: lanePath, target: lanePath }, io.ctx);
    const copied = performance.now() - started;
    await copyLaneIndex(base.index, admin.dir);
    const grew = (await usedBytes(xfs!.mnt)) - before;
    expect(await isMounted(lanePath)).toBe(false);
    expect(await sha(path.join(lanePath, 'assets.bin'))).toBe(await sha(path.join(base.tree, 'assets.bin')));
    expect((await fsp.readdir(lanePath)).sort()).toEqual(['.git', 'README.md', 'assets.bin', 'src']);
    expect(grew).toBeLessThan(MiB);

    const index = path.join(admin.dir, 'index');
    const indexBefore = await sha(index);
    started = performance.now();
    const status = await execa('git', ['status', '--porcelain'], { cwd: lanePath, env: repo.env, extendEnv: false });
    const statusMs = performance.now() - started;
    expect(status.stdout).toBe('');
    // Clones are new inodes (and cp sets a new ctime): git re-reads each file once and rewrites the index.
    const rewritten = (await sha(index)) !== indexBefore;
    process.stderr.write(`${FILE}: reflink copy ${copied.toFixed(0)} ms (filesystem grew ${(grew / 1024).toFixed(0)} KiB for an 8 MiB file); first git status ${statusMs.toFixed(0)} ms, index ${rewritten ? 'rewritten' : 'kept'}\n`);

    // A write in the lane stays there.
    await fsp.writeFile(path.join(lanePath, 'README.md'), 'changed in the lane\n');
    expect(await fsp.readFile(path.join(base.tree, 'README.md'), 'utf8')).toBe('# fixture\n');
    await unmountLayer('reflink', lanePath, io.ctx); // a no-op: nothing is mounted
    expect(await fsp.readFile(path.join(lanePath, 'README.md'), 'utf8')).toBe('changed in the lane\n');

    await repo.git(['worktree', 'remove', '--force', lanePath]);
    expect(await releaseBase(io, oid, 'clone-lane')).toEqual({ removed: true });
  });
});
