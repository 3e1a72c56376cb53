// @module-tag slow (copies measured on real filesystems): the full suite only, not `npm run test:fast`
/**
 * Copy-on-write on a filesystem that clones: an XFS with reflink=1 on a loop file, holding the
 * main checkout and its lanes root. The ignored files a lane gets (`.worktreeinclude`) and the
 * `share:` seeds in modes reflink and auto must be clones of the main checkout's files: the same
 * bytes in another inode, on the very same disk extents (FIEMAP's "shared" flag, read with
 * `filefrag -v`), costing the filesystem next to nothing; and a write in the lane's clone must
 * leave the main checkout's file as it was. Facts are read from the filesystem, never through
 * isolane. Needs root (mount) and xfsprogs; else the file skips, saying why (a failure under CI=true).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const run = promisify(execFile);
const MiB = 2 ** 20;
const XFS_MAGIC = 0x58465342;
const SBIN_PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`;

/** Runs a system tool (mkfs.xfs, mount, filefrag live in sbin), with a time limit. */
const sys = async (cmd: string, args: readonly string[]): Promise<string> =>
  (await run(cmd, [...args], { env: { ...process.env, PATH: SBIN_PATH, LC_ALL: 'C' }, timeout: 30_000 })).stdout;

/** Why this file cannot run here, or undefined when it can. */
async function missingPrerequisite(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: mounting the XFS loop file needs root';
  for (const [tool, args] of [['mkfs.xfs', ['-V']], ['filefrag', ['-V']], ['mount', ['-V']], ['umount', ['-V']]] as const) {
    const ok = await sys(tool, args).then(() => true, () => false);
    if (!ok) return `${tool} not found (apt-get install xfsprogs e2fsprogs mount)`;
  }
  if (!(await fsp.access('/dev/loop-control').then(() => true, () => false))) return 'no /dev/loop-control: loop devices are not available';
  return undefined;
}

const missing = await missingPrerequisite();
if (missing) {
  if (process.env.CI === 'true') throw new Error(`CI=true but reflink.test.ts cannot run: ${missing}`);
  process.stderr.write(`reflink.test.ts: skipping, ${missing}\n`);
}

interface Extent {
  readonly logical: number;
  readonly physical: number;
  readonly length: number;
  readonly shared: boolean;
}

/** The file's extents as FIEMAP reports them (`filefrag -v`), in filesystem blocks. */
async function extents(file: string): Promise<Extent[]> {
  const out = await sys('filefrag', ['-v', file]);
  const rows: Extent[] = [];
  // "   0:        0..   16383:         24..     16407:  16384:             last,shared,eof"
  for (const m of out.matchAll(/^\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+):\s*(?:\d+:)?\s*(\S*)\s*$/gm)) {
    rows.push({ logical: Number(m[1]), physical: Number(m[2]), length: Number(m[3]), shared: (m[4] ?? '').split(',').includes('shared') });
  }
  if (rows.length === 0) throw new Error(`no extents read for ${file}:\n${out}`);
  return rows;
}

/**
 * Where each block of the file lies, as runs of contiguous blocks: extents that continue one
 * another on disk are merged, flags aside (filefrag splits a run where only part of it is shared).
 */
async function blockMap(file: string): Promise<{ logical: number; physical: number; length: number }[]> {
  const runs: { logical: number; physical: number; length: number }[] = [];
  for (const { logical, physical, length } of await extents(file)) {
    const last = runs.at(-1);
    if (last && last.logical + last.length === logical && last.physical + last.length === physical) last.length += length;
    else runs.push({ logical, physical, length });
  }
  return runs;
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await fsp.readFile(file)).digest('hex');

/** Writes `bytes` of random data to `file` and makes it reach the disk (no delayed allocation left). */
async function writeRandom(file: string, bytes: number): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const fh = await fsp.open(file, 'wx');
  try {
    for (let done = 0; done < bytes; done += 4 * MiB) await fh.write(randomBytes(Math.min(4 * MiB, bytes - done)));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Bytes in use on the filesystem at `dir`, after everything written so far reached it. */
async function usedBytes(dir: string): Promise<number> {
  await sys('sync', ['-f', dir]);
  const st = await fsp.statfs(dir);
  return (st.blocks - st.bfree) * st.bsize;
}

/**
 * `clone` is a copy-on-write clone of `source`: the same bytes in another inode, every extent
 * on the very blocks of the source's, each flagged shared.
 */
async function expectClone(source: string, clone: string): Promise<void> {
  const [a, b] = await Promise.all([fsp.stat(source), fsp.stat(clone)]);
  expect(b.ino).not.toBe(a.ino);
  expect(b.size).toBe(a.size);
  expect(await sha256(clone)).toBe(await sha256(source));
  const eb = await extents(clone);
  expect(eb.every((e) => e.shared), `${clone} extents: ${JSON.stringify(eb)}`).toBe(true);
  expect(await blockMap(clone)).toEqual(await blockMap(source));
}

/** A write in the lane's clone changes it, and only it: the main checkout's file keeps its bytes and blocks. */
async function expectOwnCopy(source: string, clone: string): Promise<void> {
  const [before, blocks] = await Promise.all([sha256(source), blockMap(source)]);
  const fh = await fsp.open(clone, 'r+');
  try {
    await fh.write(Buffer.alloc(64 * 1024, 'x'), 0, 64 * 1024, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  expect(await sha256(clone)).not.toBe(before);
  expect((await fsp.readFile(clone)).subarray(0, 4)).toEqual(Buffer.from('xxxx'));
  expect(await sha256(source)).toBe(before);
  expect(await blockMap(source)).toEqual(blocks);
  // The written range moved to blocks of the clone's own, unshared; the rest is still shared.
  const [first, ...rest] = await extents(clone);
  expect(first?.shared).toBe(false);
  expect(first?.physical).not.toBe(blocks[0]?.physical);
  expect(rest.length > 0 ? rest.every((e) => e.shared) : true).toBe(true);
}

let base: string | undefined;
let mnt: string | undefined;
let mounted = false;
let repo: TestRepo;

async function unmount(): Promise<void> {
  if (mounted && mnt) {
    // A busy mount (a process of a failed test still in it) is detached lazily, never left behind.
    await sys('umount', [mnt]).catch(() => sys('umount', ['-l', mnt ?? '']));
    mounted = false;
  }
  if (base) await fsp.rm(base, { recursive: true, force: true });
  base = undefined;
}

describe.skipIf(missing !== undefined)('copy-on-write on XFS with reflink', () => {
  beforeAll(async () => {
    try {
      base = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-xfs-')));
      const img = path.join(base, 'xfs.img');
      mnt = path.join(base, 'mnt');
      await fsp.mkdir(mnt);
      const fh = await fsp.open(img, 'wx');
      await fh.truncate(512 * MiB); // sparse: costs the host next to nothing
      await fh.close();
      await sys('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
      await sys('mount', ['-o', 'loop', img, mnt]);
      mounted = true;
      expect((await fsp.statfs(mnt)).type).toBe(XFS_MAGIC);

      repo = await makeRepo({
        base: mnt,
        files: {
          'README.md': '# fixture\n',
          '.gitignore': 'isolane.yaml\nbig.bin\n/node_modules\n',
          '.worktreeinclude': 'big.bin\n',
          'package.json': '{"name":"fixture","version":"1.0.0"}\n',
          'package-lock.json': '{"name":"fixture","version":"1.0.0","lockfileVersion":3,"packages":{}}\n',
        },
      });
      expect(path.relative(mnt, repo.lanesRoot).startsWith('..')).toBe(false);
      await writeRandom(path.join(repo.root, 'big.bin'), 64 * MiB);
      await writeRandom(path.join(repo.root, 'node_modules', 'pkg', 'blob.bin'), 16 * MiB);
      await fsp.writeFile(path.join(repo.root, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
      await fsp.mkdir(path.join(repo.root, 'node_modules', '.bin'));
      await fsp.symlink('../pkg/index.js', path.join(repo.root, 'node_modules', '.bin', 'pkg'));
    } catch (e) {
      await unmount();
      throw e;
    }
  }, 60_000);
  afterAll(async () => {
    await unmount();
  }, 60_000);

  it('the main checkout and the lanes root are on the XFS mount, and filefrag tells a clone from a copy', async () => {
    const { dev } = await fsp.stat(mnt ?? '');
    expect((await fsp.stat(repo.root)).dev).toBe(dev);
    const big = path.join(repo.root, 'big.bin');
    // Controls: the same bytes written anew share nothing; a clone made by cp shares every block.
    // (The control copy is small: XFS frees a removed file's blocks in the background, which
    // must not blur the disk use the next tests measure.)
    const written = path.join(repo.dir, 'written.bin');
    await fsp.writeFile(written, (await fsp.readFile(big)).subarray(0, MiB));
    await sys('sync', ['-f', written]);
    expect((await extents(written)).some((e) => e.shared)).toBe(false);
    const cloned = path.join(repo.dir, 'cloned.bin');
    await sys('cp', ['--reflink=always', big, cloned]);
    await expectClone(big, cloned);
    await Promise.all([fsp.rm(written), fsp.rm(cloned)]);
  });

  it.each(['worktree', 'clone'] as const)('%s lane: .worktreeinclude copies a 64 MiB ignored file as a clone, at next to no disk cost', async (strategy) => {
    const lane = `inc-${strategy}`;
    const before = await usedBytes(mnt ?? '');
    const up = await repo.cli(['up', lane, '--strategy', strategy]);
    expect(up.code, up.stderr).toBe(0);
    const grew = (await usedBytes(mnt ?? '')) - before;
    process.stderr.write(`reflink.test.ts: ${strategy} lane with a 64 MiB ignored file: the filesystem grew ${(grew / MiB).toFixed(2)} MiB\n`);
    // A copy would take 64 MiB; the lane's checkout, git state and the clone's metadata are a little.
    expect(grew).toBeLessThan(4 * MiB);
    const source = path.join(repo.root, 'big.bin');
    const copy = path.join(repo.lanesRoot, lane, 'big.bin');
    await expectClone(source, copy);
    await expectOwnCopy(source, copy);
    const down = await repo.cli(['down', lane, '--force']);
    expect(down.code, down.stderr).toBe(0);
  });

  it.each([
    ['reflink', 'worktree'],
    ['auto', 'worktree'],
    ['auto', 'clone'],
  ] as const)('share mode %s (%s lane) seeds node_modules by cloning; a write in the lane stays there', async (mode, strategy) => {
    const lane = `share-${mode}-${strategy}`;
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), `share:\n  - path: node_modules\n    mode: ${mode}\n`);
    const before = await usedBytes(mnt ?? '');
    const up = await repo.cli(['up', lane, '--strategy', strategy]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('not seeded');
    const grew = (await usedBytes(mnt ?? '')) - before;
    process.stderr.write(`reflink.test.ts: ${strategy} lane seeding node_modules (16 MiB) in mode ${mode}: the filesystem grew ${(grew / MiB).toFixed(2)} MiB\n`);
    expect(grew).toBeLessThan(4 * MiB);
    const main = path.join(repo.root, 'node_modules');
    const seeded = path.join(repo.lanesRoot, lane, 'node_modules');
    await expectClone(path.join(main, 'pkg', 'blob.bin'), path.join(seeded, 'pkg', 'blob.bin'));
    await expectClone(path.join(main, 'pkg', 'index.js'), path.join(seeded, 'pkg', 'index.js'));
    expect(await fsp.readlink(path.join(seeded, '.bin', 'pkg'))).toBe('../pkg/index.js');
    expect((await fsp.lstat(seeded)).isDirectory()).toBe(true);
    await expectOwnCopy(path.join(main, 'pkg', 'blob.bin'), path.join(seeded, 'pkg', 'blob.bin'));
    const down = await repo.cli(['down', lane, '--force']);
    expect(down.code, down.stderr).toBe(0);
  });
});
