/**
 * The layer mounts, for real: the backend probe on this host, kernel and fuse overlays mounted,
 * written through and unmounted (twice: idempotent), isMounted read from mountinfo (paths with
 * a space and a backslash), paths overlay's option string cannot carry refused before anything
 * runs, a busy mount reported with who holds it, and a symlink in a lane that is only a symlink.
 * Facts are read from the filesystem and mountinfo, not through the module under test.
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MountingBackend } from '../../src/snapshot/backend.js';
import { probeSnapshotBackends } from '../../src/snapshot/backends.js';
import { isSnapshotError } from '../../src/snapshot/errors.js';
import { filesystemName } from '../../src/snapshot/fs-kind.js';
import { mountLayer, unmountLayer } from '../../src/snapshot/mount.js';
import { decodeMountField, isMounted, parseMountinfo } from '../../src/snapshot/mountinfo.js';
import { fuseMissing, kernelMissing, mountPointsUnder, unmountAllAndRemove } from '../helpers/snapshot.js';

const FILE = 'mount.test.ts';
const kernel = await kernelMissing(FILE);
const fuse = await fuseMissing(FILE);
const backends = [...(kernel ? [] : ['kernel' as const]), ...(fuse ? [] : ['fuse' as const])];
const sys = { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };

let dir: string;
beforeAll(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-snap-mount-')));
});
afterAll(async () => {
  await unmountAllAndRemove(dir);
});

/** Fresh lower (one file), upper, work and target dirs under `name`. */
async function layer(name: string): Promise<{ lower: string; upper: string; work: string; target: string }> {
  const root = path.join(dir, name);
  const paths = { lower: path.join(root, 'lower'), upper: path.join(root, 'upper'), work: path.join(root, 'work'), target: path.join(root, 'lane') };
  await Promise.all(Object.values(paths).map((p) => fsp.mkdir(p, { recursive: true })));
  await fsp.writeFile(path.join(paths.lower, 'base.txt'), 'base\n');
  return paths;
}

describe('mountinfo', () => {
  it('decodes the octal escapes the kernel writes for space, tab, newline and backslash', () => {
    expect(decodeMountField('/a\\040b\\011c\\012d\\134e')).toBe('/a b\tc\nd\\e');
    const line = '102 27 0:49 / /tmp/lane\\040one rw,relatime shared:5 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w';
    expect(parseMountinfo(line)).toEqual([{ mountPoint: '/tmp/lane one', mountOptions: 'rw,relatime', fsType: 'overlay', superOptions: 'rw,lowerdir=/l,upperdir=/u,workdir=/w' }]);
  });
});

describe('probeSnapshotBackends', () => {
  it('reports each backend as this host really has it, and leaves nothing behind', async () => {
    const scratchDir = path.join(dir, 'probe-state');
    const lanesRoot = path.join(dir, 'probe-lanes');
    await fsp.mkdir(lanesRoot);
    const started = performance.now();
    const probe = await probeSnapshotBackends({ scratchDir, lanesRoot, env: sys.env });
    process.stderr.write(`${FILE}: probe took ${(performance.now() - started).toFixed(0)} ms: ${JSON.stringify(probe.tried)}\n`);
    expect(probe.tried.map((t) => t.backend)).toEqual(['kernel', 'fuse', 'reflink']);
    const tried = Object.fromEntries(probe.tried.map((t) => [t.backend, t]));
    expect(tried.kernel?.ok, tried.kernel?.why).toBe(kernel === undefined);
    if (kernel === undefined && process.getuid?.() !== 0) expect(tried.kernel?.why).toContain('CAP_SYS_ADMIN');
    expect(tried.fuse?.ok, tried.fuse?.why).toBe(fuse === undefined);
    const fsName = filesystemName((await fsp.statfs(lanesRoot)).type);
    if (fsName === 'ext4') {
      expect(tried.reflink?.ok).toBe(false);
      expect(tried.reflink?.why).toBe(`${lanesRoot} is on ext4, which cannot clone files (reflink needs XFS with reflink=1 or btrfs)`);
    } else {
      process.stderr.write(`${FILE}: the temp dir is on ${fsName}, not ext4: reflink's "no" is checked by reflink-backend.test.ts instead\n`);
    }
    expect(probe.usable).toEqual(probe.tried.filter((t) => t.ok).map((t) => t.backend));
    // Cleaned up: no mount, no temp dir, no probe file in the lanes root.
    expect(await mountPointsUnder(dir)).toEqual([]);
    expect(await fsp.readdir(scratchDir)).toEqual([]);
    expect(await fsp.readdir(lanesRoot)).toEqual([]);
  });
});

describe('layer paths', () => {
  it.each([
    ['a comma', 'low,er'],
    ['a colon', 'low:er'],
    ['an equals sign', 'low=er'],
    ['a backslash', 'low\\er'],
    ['a newline', 'low\ner'],
  ])('refuses a lower dir holding %s before running anything', async (_, name) => {
    const paths = await layer(`refuse-${name.replace(/\W/g, '_')}`);
    const lower = path.join(dir, name);
    for (const backend of ['kernel', 'fuse'] as const) {
      const error = await mountLayer(backend, { ...paths, lower }, sys).then(() => undefined, (e: unknown) => e);
      expect(isSnapshotError(error, 'BAD_PATH'), String(error)).toBe(true);
      expect((error as Error).message).toContain(JSON.stringify(lower));
    }
    // The path was never created by a mount attempt, and nothing is mounted.
    expect(await fsp.access(lower).then(() => true, () => false)).toBe(false);
    expect(await isMounted(paths.target)).toBe(false);
  });

  it('refuses an upper dir with a colon and a relative target', async () => {
    const paths = await layer('refuse-more');
    const colon = await mountLayer('kernel', { ...paths, upper: `${paths.upper}:x` }, sys).then(() => undefined, (e: unknown) => e);
    expect(isSnapshotError(colon, 'BAD_PATH')).toBe(true);
    const relative = await mountLayer('kernel', { ...paths, target: 'lane' }, sys).then(() => undefined, (e: unknown) => e);
    expect(isSnapshotError(relative, 'BAD_PATH')).toBe(true);
    expect(await mountPointsUnder(dir)).toEqual([]);
  });
});

describe.skipIf(backends.length === 0).each(backends)('%s overlay', (backend: MountingBackend) => {
  it('mounts, shows the lower layer, keeps writes in the upper, and unmounts, each step idempotent', async () => {
    const paths = await layer(`${backend}-basic`);
    expect(await isMounted(paths.target)).toBe(false);
    const started = performance.now();
    await mountLayer(backend, paths, sys);
    process.stderr.write(`${FILE}: ${backend} mount took ${(performance.now() - started).toFixed(1)} ms\n`);
    expect(await mountPointsUnder(paths.target)).toEqual([paths.target]);
    expect(await isMounted(paths.target)).toBe(true);
    expect(await isMounted(paths.lower)).toBe(false);
    if (backend === 'kernel') await mountLayer(backend, paths, sys); // the same overlay again: a no-op
    else await expect(mountLayer(backend, paths, sys)).rejects.toMatchObject({ failure: 'ALREADY_MOUNTED' });
    expect(await mountPointsUnder(paths.target)).toEqual([paths.target]);

    expect(await fsp.readFile(path.join(paths.target, 'base.txt'), 'utf8')).toBe('base\n');
    await fsp.writeFile(path.join(paths.target, 'base.txt'), 'lane\n');
    await fsp.writeFile(path.join(paths.target, 'new.txt'), 'new\n');
    expect(await fsp.readFile(path.join(paths.lower, 'base.txt'), 'utf8')).toBe('base\n');
    expect(await fsp.readFile(path.join(paths.upper, 'base.txt'), 'utf8')).toBe('lane\n');
    expect((await fsp.readdir(paths.lower)).sort()).toEqual(['base.txt']);

    // Another upper on a mounted target is refused, never stacked.
    const other = await layer(`${backend}-other`);
    await expect(mountLayer(backend, { ...other, target: paths.target }, sys)).rejects.toMatchObject({ failure: 'ALREADY_MOUNTED' });

    await unmountLayer(backend, paths.target, sys);
    expect(await mountPointsUnder(paths.target)).toEqual([]);
    expect(await isMounted(paths.target)).toBe(false);
    await unmountLayer(backend, paths.target, sys); // not mounted: a no-op
    expect(await fsp.readdir(paths.target)).toEqual([]);
    expect((await fsp.readdir(paths.upper)).sort()).toEqual(['base.txt', 'new.txt']);
  });

  it('finds a mount at a path with a space and a backslash (escaped in mountinfo)', async () => {
    const paths = await layer(`${backend} odd`);
    const target = path.join(dir, `${backend} lane one\\two`);
    await fsp.mkdir(target);
    await mountLayer(backend, { ...paths, target }, sys);
    try {
      expect(await mountPointsUnder(target)).toEqual([target]);
      expect(await isMounted(target)).toBe(true);
      // Through a symlink to it: the same mount (isMounted compares real paths).
      const link = path.join(dir, `${backend}-link`);
      await fsp.symlink(target, link);
      expect(await isMounted(link)).toBe(true);
      expect(await fsp.readFile(path.join(target, 'base.txt'), 'utf8')).toBe('base\n');
    } finally {
      await unmountLayer(backend, target, sys);
    }
    expect(await isMounted(target)).toBe(false);
  });

  it('leaves a mount a process still uses mounted, and names that process', async () => {
    const paths = await layer(`${backend}-busy`);
    await mountLayer(backend, paths, sys);
    const sleeper = spawn('sleep', ['60'], { cwd: paths.target, stdio: 'ignore' });
    try {
      await new Promise<void>((resolve, reject) => sleeper.once('spawn', resolve).once('error', reject));
      const error = await unmountLayer(backend, paths.target, sys).then(() => undefined, (e: unknown) => e);
      expect(isSnapshotError(error, 'BUSY'), String(error)).toBe(true);
      expect((error as Error).message).toContain(`${paths.target} is busy`);
      expect((error as Error).message).toContain(`sleep (pid ${sleeper.pid}, cwd ${paths.target})`);
      expect(await isMounted(paths.target)).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => (sleeper.exitCode === null ? sleeper.once('exit', resolve) : resolve(undefined)));
    }
    await unmountLayer(backend, paths.target, sys);
    expect(await isMounted(paths.target)).toBe(false);
  });

  it('a symlink to outside the lane, made in the lane or planted in the upper, is just a symlink', async () => {
    // Note for the strategy: isolane must never follow links in an upper dir (rm, copy, read).
    const paths = await layer(`${backend}-symlink`);
    const outside = path.join(dir, `${backend}-outside`);
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'secret'), 'host secret\n');
    await fsp.symlink(outside, path.join(paths.upper, 'planted'));
    await mountLayer(backend, paths, sys);
    try {
      await fsp.symlink(path.join(outside, 'secret'), path.join(paths.target, 'made'));
      expect((await fsp.lstat(path.join(paths.target, 'planted'))).isSymbolicLink()).toBe(true);
      expect(await fsp.readlink(path.join(paths.target, 'planted'))).toBe(outside);
      const made = await fsp.lstat(path.join(paths.upper, 'made'));
      expect(made.isSymbolicLink()).toBe(true);
      expect(await fsp.readlink(path.join(paths.upper, 'made'))).toBe(path.join(outside, 'secret'));
    } finally {
      await unmountLayer(backend, paths.target, sys);
    }
    // Removing the lane's upper removes the links, never what they point at.
    await fsp.rm(paths.upper, { recursive: true, force: true });
    expect(await fsp.readFile(path.join(outside, 'secret'), 'utf8')).toBe('host secret\n');
  });
});
