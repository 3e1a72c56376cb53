/**
 * The snapshot strategy through isolane's own commands: a lane is a worktree registered without
 * files whose files are a copy-on-write layer over one shared read-only checkout of its start
 * commit. What only a snapshot lane has: the mount and the shared base (made once per commit,
 * freed with its last lane), a lane that survives losing its mount (a reboot, simulated by
 * unmounting), and the fuse and reflink backends where this host has them. Facts are read from
 * the kernel (/proc/self/mountinfo) and the filesystem, never through isolane.
 *
 * Needs a way to mount: as root the kernel backend (under CI=true it must run).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool } from '../../src/snapshot/system-tool.js';
import { isMounted, mountsUnder, readMounts } from '../../src/snapshot/mountinfo.js';
import { canMount } from '../../src/snapshot/privilege.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';
import { sys } from '../helpers/snapshot.js';
import { contractSuite } from '../contract/suite.js';
import { makeXfsLoop, xfsLoopMissing, type XfsLoop } from '../helpers/xfs-loop.js';

const FILE = 'snapshot.test.ts';
const missing = (await canMount()) ? undefined : 'this process may not mount (not root, no CAP_SYS_ADMIN): the kernel backend cannot run';
if (missing) {
  if (process.env.CI === 'true') throw new Error(`CI=true but ${FILE} cannot run: ${missing}`);
  process.stderr.write(`${FILE}: skipping, ${missing}\n`);
}

const MiB = 2 ** 20;

// Its lanes are worktrees of the main repository: their refs are the main repository's. Its
// removal freezes the overlay read-only and looks again, so a write after down's check is caught.
await contractSuite('snapshot', { needs: 'mount', refs: 'shared', config: 'snapshot:\n  backend: kernel\n',
  removeByHand: async (dir) => {
    await sys('umount', [dir]);
    await fsp.rm(dir, { recursive: true, force: true });
  },
});

/** Allocated bytes under dir, each inode once, symlinks not followed. */
async function allocated(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (at: string): Promise<void> => {
    const st = await fsp.lstat(at);
    if (seen.has(`${st.dev}:${st.ino}`)) return;
    seen.add(`${st.dev}:${st.ino}`);
    total += st.blocks * 512;
    if (st.isDirectory()) for (const name of await fsp.readdir(at)) await walk(path.join(at, name));
  };
  await walk(dir);
  return total;
}

interface Ls {
  readonly lane: string;
  readonly state: string;
  readonly dirty?: number;
}

async function ls(repo: TestRepo): Promise<Ls[]> {
  const r = await repo.cli(['ls', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Ls[];
}

const stateOf = (repo: TestRepo): string => path.join(repo.root, '.git', 'isolane', 'strategies', 'snapshot');
const basesOf = async (repo: TestRepo): Promise<Record<string, string[]>> => {
  const dir = path.join(stateOf(repo), 'bases');
  const out: Record<string, string[]> = {};
  for (const oid of (await fsp.readdir(dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{40}$/.test(n))) out[oid] = (await fsp.readdir(path.join(dir, oid, 'users'))).sort();
  return out;
};

describe.skipIf(missing !== undefined)('snapshot lanes', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({ files: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`src/f${i}.txt`, `file ${i}\n`])) });
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'strategy: snapshot\nsnapshot:\n  backend: kernel\n');
    await repo.git(['add', 'isolane.yaml']);
    await repo.git(['commit', '-qm', 'snapshot lanes']);
  });
  afterAll(async () => {
    for (const m of (await mountsUnder(repo.dir)).reverse()) await sys('umount', [m]).catch(() => undefined);
    await repo.cleanup();
  });

  it('a lane is a mount over the shared base with a clean status, costing the disk it writes', async () => {
    const oid = (await repo.git(['rev-parse', 'HEAD'])).trim();
    const up = await repo.cli(['up', 'a', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const lane = path.join(repo.lanesRoot, 'a');
    const mount = (await readMounts()).find((m) => m.mountPoint === lane);
    expect(mount?.fsType).toBe('overlay');
    expect(mount?.superOptions).toContain(`lowerdir=${path.join(stateOf(repo), 'bases', oid, 'tree')}`);
    expect(JSON.parse(up.stdout)).toMatchObject({ strategy: 'snapshot', place: { hostPath: lane, detail: { backend: 'kernel', base: oid } } });
    // the files of the commit, a clean first status, the branch at the start commit
    expect(await fsp.readFile(path.join(lane, 'src', 'f7.txt'), 'utf8')).toBe('file 7\n');
    expect(await repo.git(['status', '--porcelain'], lane)).toBe('');
    expect((await repo.git(['rev-parse', 'refs/heads/isolane/a'])).trim()).toBe(oid);
    // the lane's own disk: its layer holds only the worktree's .git file
    const layer = path.join(stateOf(repo), 'lanes', 'a');
    expect(await fsp.readdir(path.join(layer, 'upper'))).toEqual(['.git']);
    expect(await allocated(layer)).toBeLessThan(1 * MiB);
    // the base is read-only, even to root
    await expect(fsp.writeFile(path.join(stateOf(repo), 'bases', oid, 'tree', 'src', 'f1.txt'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    // a write in the lane lands in its layer, never in the base or the main checkout
    await fsp.writeFile(path.join(lane, 'src', 'f1.txt'), 'changed\n');
    expect(await fsp.readFile(path.join(stateOf(repo), 'bases', oid, 'tree', 'src', 'f1.txt'), 'utf8')).toBe('file 1\n');
    expect(await fsp.readFile(path.join(repo.root, 'src', 'f1.txt'), 'utf8')).toBe('file 1\n');
    expect(await fsp.readFile(path.join(layer, 'upper', 'src', 'f1.txt'), 'utf8')).toBe('changed\n');
    // a commit in the lane is on its branch in the main repository
    await repo.git(['commit', '-qam', 'in the lane'], lane);
    expect((await repo.git(['log', '-1', '--format=%s', 'refs/heads/isolane/a'])).trim()).toBe('in the lane');
    expect((await repo.cli(['down', 'a', '--force'])).code).toBe(0);
    expect(await isMounted(lane)).toBe(false);
    expect(await exists(lane)).toBe(false);
    expect(await exists(layer)).toBe(false);
  });

  it('one base per commit, shared by its lanes and freed with the last of them', async () => {
    const first = (await repo.git(['rev-parse', 'HEAD'])).trim();
    for (const lane of ['b1', 'b2']) expect((await repo.cli(['up', lane])).code).toBe(0);
    expect(await basesOf(repo)).toEqual({ [first]: ['b1', 'b2'] });
    await fsp.writeFile(path.join(repo.root, 'next.txt'), 'next\n');
    await repo.git(['add', 'next.txt']);
    await repo.git(['commit', '-qm', 'next']);
    const second = (await repo.git(['rev-parse', 'HEAD'])).trim();
    expect((await repo.cli(['up', 'b3'])).code).toBe(0);
    expect(await exists(path.join(repo.lanesRoot, 'b3', 'next.txt'))).toBe(true);
    expect(await exists(path.join(repo.lanesRoot, 'b1', 'next.txt'))).toBe(false);
    expect(await basesOf(repo)).toEqual({ [first]: ['b1', 'b2'], [second]: ['b3'] });
    expect((await repo.cli(['down', 'b1'])).code).toBe(0);
    expect(await basesOf(repo)).toEqual({ [first]: ['b2'], [second]: ['b3'] });
    for (const lane of ['b2', 'b3']) expect((await repo.cli(['down', lane])).code).toBe(0);
    expect(await basesOf(repo)).toEqual({});
    // nothing of the bases stays mounted (their read-only binds) or on disk
    expect(await mountsUnder(stateOf(repo))).toEqual([]);
    expect((await fsp.readdir(path.join(stateOf(repo), 'bases'))).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('a lane whose mount is gone (a reboot) shows as unmounted, keeps its work, and any command mounts it again', async () => {
    expect((await repo.cli(['up', 'r'])).code).toBe(0);
    const lane = path.join(repo.lanesRoot, 'r');
    await fsp.writeFile(path.join(lane, 'notes.txt'), 'unsaved\n');
    expect((await sys('umount', [lane]).then(() => true))).toBe(true);
    // a reboot takes the base's read-only bind as well
    const oid = (await repo.git(['rev-parse', 'HEAD'])).trim();
    const baseTree = path.join(stateOf(repo), 'bases', oid, 'tree');
    await sys('umount', [baseTree]);
    expect(await fsp.readdir(lane)).toEqual(['.git']); // under the mount: only the worktree's .git file
    // ls only looks: it says so, and mounts nothing
    expect((await ls(repo)).find((l) => l.lane === 'r')?.state).toBe('unmounted');
    expect(await isMounted(lane)).toBe(false);
    // git's own housekeeping does not take the worktree for gone
    await repo.git(['worktree', 'prune']);
    expect(await repo.git(['worktree', 'list', '--porcelain'])).toContain(`worktree ${lane}\n`);
    // down mounts it to judge its work: the untracked file is there, so it refuses (exit 3)
    const down = await repo.cli(['down', 'r']);
    expect(down.code, down.stderr).toBe(3);
    expect(down.stderr).toContain('notes.txt');
    expect(await isMounted(lane)).toBe(true);
    expect((await readMounts()).find((m) => m.mountPoint === baseTree)?.mountOptions.split(',')).toContain('ro');
    await sys('umount', [lane]);
    const run = await repo.cli(['run', 'r', '--', 'cat', 'notes.txt']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('unsaved\n');
    expect((await ls(repo)).find((l) => l.lane === 'r')).toMatchObject({ state: 'ready', dirty: 1 });
    // `cd "$(isolane path r)"` finds the files too
    await sys('umount', [lane]);
    const where = await repo.cli(['path', 'r']);
    expect(where.stdout).toBe(`${lane}\n`);
    expect(await fsp.readFile(path.join(lane, 'notes.txt'), 'utf8')).toBe('unsaved\n');
    const forced = await repo.cli(['down', 'r', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('notes.txt');
    expect(await exists(lane)).toBe(false);
  });

  it("a symlink in a lane's layer that leads out of it is never followed, not even by down --force", async () => {
    const outside = path.join(repo.dir, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'precious.txt'), 'keep me\n');
    expect((await repo.cli(['up', 's'])).code).toBe(0);
    const lane = path.join(repo.lanesRoot, 's');
    await fsp.symlink(outside, path.join(lane, 'escape'));
    await fsp.symlink(outside, path.join(stateOf(repo), 'lanes', 's', 'upper', 'planted'));
    expect((await ls(repo)).find((l) => l.lane === 's')?.state).toBe('ready');
    expect((await repo.cli(['down', 's', '--force'])).code).toBe(0);
    expect(await fsp.readFile(path.join(outside, 'precious.txt'), 'utf8')).toBe('keep me\n');
    expect(await fsp.readdir(outside)).toEqual(['precious.txt']);
  });

  it('a process still in the lane keeps its mount: down says who, removes nothing, and succeeds once it is gone', async () => {
    expect((await repo.cli(['up', 'busy'])).code).toBe(0);
    const lane = path.join(repo.lanesRoot, 'busy');
    const { spawn } = await import('node:child_process');
    const sleeper = spawn('sleep', ['60'], { cwd: lane, stdio: 'ignore' });
    try {
      const down = await repo.cli(['down', 'busy']);
      expect(down.code).not.toBe(0);
      expect(down.stderr).toMatch(/busy/);
      expect(await isMounted(lane)).toBe(true);
      expect(await repo.git(['status', '--porcelain'], lane)).toBe('');
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
    }
    const again = await repo.cli(['down', 'busy']);
    expect(again.code, again.stderr).toBe(0);
    expect(await exists(lane)).toBe(false);
  });
});

const fuse = await findTool(process.env, 'fuse-overlayfs');
const noFuse = missing ?? (fuse ? undefined : 'fuse-overlayfs is not installed (apt-get install fuse-overlayfs)');
if (noFuse && !missing) process.stderr.write(`${FILE}: fuse backend skipped, ${noFuse}\n`);

describe.skipIf(noFuse !== undefined)('snapshot lanes on fuse-overlayfs', () => {
  it('up mounts a fuse overlay with a clean status; down unmounts and removes it', async () => {
    const repo = await makeRepo();
    try {
      await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'strategy: snapshot\nsnapshot:\n  backend: fuse\n');
      const up = await repo.cli(['up', 'f']);
      expect(up.code, up.stderr).toBe(0);
      const lane = path.join(repo.lanesRoot, 'f');
      expect((await readMounts()).find((m) => m.mountPoint === lane)?.fsType).toMatch(/fuse/);
      expect(await repo.git(['status', '--porcelain'], lane)).toBe('');
      await fsp.writeFile(path.join(lane, 'x.txt'), 'x\n');
      expect((await repo.cli(['down', 'f'])).code).toBe(3);
      expect((await repo.cli(['down', 'f', '--force'])).code).toBe(0);
      expect(await isMounted(lane)).toBe(false);
      expect(await exists(lane)).toBe(false);
    } finally {
      for (const m of (await mountsUnder(repo.dir)).reverse()) await sys('umount', [m]).catch(() => undefined);
      await repo.cleanup();
    }
  });
});

const noXfs = missing ?? (await xfsLoopMissing());
if (noXfs && !missing) process.stderr.write(`${FILE}: reflink backend skipped, ${noXfs}\n`);

describe.skipIf(noXfs !== undefined)('snapshot lanes by reflink on XFS', () => {
  let xfs: XfsLoop | undefined;
  afterAll(async () => xfs?.dispose());
  it('with the state and the lanes root on one filesystem that clones, a lane is a copy costing next to no disk', async () => {
    xfs = await makeXfsLoop(512);
    const repo = await makeRepo({ base: xfs.mnt });
    try {
      await fsp.writeFile(path.join(repo.root, 'big.bin'), Buffer.alloc(8 * MiB, 7));
      await repo.git(['add', 'big.bin']);
      await repo.git(['commit', '-qm', 'big']);
      await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'strategy: snapshot\nsnapshot:\n  backend: reflink\n');
      await sys('sync', ['-f', xfs.mnt]);
      const before = await fsp.statfs(xfs.mnt);
      const up = await repo.cli(['up', 'k']);
      expect(up.code, up.stderr).toBe(0);
      const lane = path.join(repo.lanesRoot, 'k');
      expect(await isMounted(lane)).toBe(false);
      expect((await fsp.stat(path.join(lane, 'big.bin'))).size).toBe(8 * MiB);
      expect(await repo.git(['status', '--porcelain', '--untracked-files=no'], lane)).toBe('');
      await sys('sync', ['-f', xfs.mnt]);
      const after = await fsp.statfs(xfs.mnt);
      // the base (one checkout, 8 MiB) and the lane's clone of it: well under two copies
      expect((before.bfree - after.bfree) * after.bsize).toBeLessThan(12 * MiB);
      expect((await repo.cli(['down', 'k'])).code).toBe(0);
      expect(await exists(lane)).toBe(false);
    } finally {
      await repo.cleanup();
    }
  });
});
