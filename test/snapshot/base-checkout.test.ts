/**
 * Base checkouts, for real: one read-only checkout per commit in the state dir, shared by every
 * lane on that commit and built once even when two lanes ask at the same moment; two commits
 * build side by side; the last release removes it (its read-only bind too); a build killed
 * half-way is cleaned by the next acquire; as root the base cannot be written even by root.
 * Facts are read from the filesystem, mountinfo and git, not through the module under test.
 */
import { execa } from 'execa';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/context.js';
import { acquireBase, listBases, releaseBase, type BaseIo } from '../../src/snapshot/base-checkout.js';
import { isSnapshotError } from '../../src/snapshot/errors.js';
import { commitFile, makeRepo, type TestRepo } from '../helpers/repo.js';
import { baseIo, kernelMissing, mountPointsUnder, testContext, unmountAllAndRemove } from '../helpers/snapshot.js';

const FILE = 'base-checkout.test.ts';
/** The read-only bind needs what the kernel overlay needs; without it, bases are plain directories. */
const noMount = await kernelMissing(FILE);

let repo: TestRepo;
let stateDir: string;
let first: string;
let second: string;
const messages: string[] = [];

function io(overrides: { checkpoint?: (name: string) => Promise<void> } = {}): BaseIo {
  const logger: Logger = { progress: (m) => messages.push(m), warn: (m) => messages.push(`warn: ${m}`), debug() {} };
  const ctx = testContext(path.join(repo.dir, 'home'), { logger, lockTimeoutMs: 20_000, ...overrides });
  return baseIo(ctx, repo.root, path.join(repo.root, '.git'), stateDir);
}

/** The newest mtime of any file in the tree, in ns. */
async function newestMtime(tree: string): Promise<bigint> {
  let newest = 0n;
  for (const e of await fsp.readdir(tree, { withFileTypes: true, recursive: true })) {
    const st = await fsp.lstat(path.join(e.parentPath, e.name), { bigint: true });
    if (!e.isDirectory() && st.mtimeNs > newest) newest = st.mtimeNs;
  }
  return newest;
}

/** Each entry's mtime, inode and size as the index records them (`git ls-files --debug`). */
async function indexStatData(index: string): Promise<Record<string, { mtime: string; ino: string; size: string }>> {
  const { stdout } = await execa('git', ['--git-dir', path.join(repo.root, '.git'), 'ls-files', '--debug'], { env: { ...repo.env, GIT_INDEX_FILE: index }, extendEnv: false, cwd: repo.dir });
  const out: Record<string, { mtime: string; ino: string; size: string }> = {};
  for (const m of stdout.matchAll(/^(\S.*)\n\s+ctime: \S+\n\s+mtime: (\S+)\n\s+dev: \d+\s+ino: (\d+)\n.*\n\s+size: (\d+)/gm)) {
    out[m[1]!] = { mtime: m[2]!, ino: m[3]!, size: m[4]! };
  }
  return out;
}

beforeAll(async () => {
  repo = await makeRepo({ files: { 'README.md': '# fixture\n', 'src/app.js': 'console.log("app");\n', 'bin/run.sh': '#!/bin/sh\necho run\n' } });
  await fsp.chmod(path.join(repo.root, 'bin/run.sh'), 0o755);
  await repo.git(['add', '--chmod=+x', 'bin/run.sh']);
  await repo.git(['commit', '--quiet', '-m', 'executable']);
  first = (await repo.git(['rev-parse', 'HEAD'])).trim();
  second = await commitFile(repo, repo.root, 'second.txt', 'second\n');
  stateDir = path.join(repo.dir, 'state');
});
afterAll(async () => {
  await unmountAllAndRemove(repo.dir);
});

describe('base checkouts', () => {
  it('refuses what is not a full object id or a lane name, before touching anything', async () => {
    for (const oid of ['HEAD', first.slice(0, 12), first.toUpperCase(), `${first}\n`, '../../etc']) {
      const error = await acquireBase(io(), oid, 'lane-a').then(() => undefined, (e: unknown) => e);
      expect(isSnapshotError(error, 'BAD_OID'), `${oid}: ${String(error)}`).toBe(true);
    }
    await expect(acquireBase(io(), first, '../x')).rejects.toMatchObject({ code: 'USAGE' });
    expect(await fsp.access(stateDir).then(() => true, () => false)).toBe(false);
  });

  it('two lanes asking at once share one base of their commit, built once, with an index git trusts', async () => {
    messages.length = 0;
    const [a, b] = await Promise.all([acquireBase(io(), first, 'lane-a'), acquireBase(io(), first, 'lane-b')]);
    expect([a.built, b.built].sort()).toEqual([false, true]);
    expect(messages.filter((m) => m.startsWith('checking out'))).toHaveLength(1);
    expect(a.tree).toBe(b.tree);
    const dir = path.join(stateDir, 'bases', first);
    expect(a).toMatchObject({ tree: path.join(dir, 'tree'), index: path.join(dir, 'index') });
    expect((await fsp.readdir(path.join(dir, 'users'))).sort()).toEqual(['lane-a', 'lane-b']);
    expect(await listBases(io())).toEqual([{ oid: first, users: ['lane-a', 'lane-b'] }]);
    // The commit's files, modes included, and nothing else (no .git, no temp dirs).
    expect((await fsp.readdir(a.tree, { recursive: true })).sort()).toEqual(['README.md', 'bin', 'bin/run.sh', 'src', 'src/app.js']);
    expect(await fsp.readFile(path.join(a.tree, 'src/app.js'), 'utf8')).toBe('console.log("app");\n');
    expect((await fsp.stat(path.join(a.tree, 'bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await fsp.readdir(path.join(stateDir, 'bases'))).sort()).toEqual([first]);
    // Every entry carries its file's stat data, and is older than the index (none racily clean).
    const entries = await indexStatData(a.index);
    expect(Object.keys(entries).sort()).toEqual(['README.md', 'bin/run.sh', 'src/app.js']);
    for (const [name, entry] of Object.entries(entries)) {
      const st = await fsp.stat(path.join(a.tree, name), { bigint: true });
      expect(entry, name).toEqual({ mtime: `${st.mtimeNs / 1_000_000_000n}:${st.mtimeNs % 1_000_000_000n}`, ino: String(st.ino), size: String(st.size) });
    }
    // Whole seconds: git built without USE_NSEC (as Debian's) compares no finer.
    const indexMtime = (await fsp.stat(a.index, { bigint: true })).mtimeNs;
    expect(indexMtime / 1_000_000_000n > (await newestMtime(a.tree)) / 1_000_000_000n).toBe(true);
    // Acquiring again for a lane that has it already changes nothing.
    const again = await acquireBase(io(), first, 'lane-a');
    expect(again.built).toBe(false);
    expect((await listBases(io()))[0]?.users).toEqual(['lane-a', 'lane-b']);
  });

  it.skipIf(noMount !== undefined)('as root, the base is a read-only bind: writing it fails with EROFS even for root', async () => {
    const tree = path.join(stateDir, 'bases', first, 'tree');
    expect(await mountPointsUnder(tree)).toEqual([tree]);
    await expect(fsp.writeFile(path.join(tree, 'README.md'), 'changed\n')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(fsp.writeFile(path.join(tree, 'new.txt'), 'new\n')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(fsp.rm(path.join(tree, 'src/app.js'))).rejects.toMatchObject({ code: 'EROFS' });
    await expect(fsp.chmod(path.join(tree, 'README.md'), 0o600)).rejects.toMatchObject({ code: 'EROFS' });
    expect(await fsp.readFile(path.join(tree, 'README.md'), 'utf8')).toBe('# fixture\n');
    // Modes are left alone: a read-only mode would be copied up into lanes.
    expect((await fsp.stat(path.join(tree, 'README.md'))).mode & 0o200).toBe(0o200);
  });

  it('two commits build side by side: neither waits for the other', async () => {
    // Each build stops at its checkpoint until the other has reached its own: were the two
    // serialised by one lock, the first would wait there in vain and the test would fail.
    let arrived = 0;
    let release: () => void = () => undefined;
    const both = new Promise<void>((resolve) => (release = resolve));
    const barrier = async (name: string): Promise<void> => {
      if (name !== 'snapshot:base-building') return;
      if (++arrived === 2) release();
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the other build never started: builds are serialised')), 10_000).unref());
      await Promise.race([both, timeout]);
    };
    const third = await commitFile(repo, repo.root, 'third.txt', 'third\n');
    const [x, y] = await Promise.all([acquireBase(io({ checkpoint: barrier }), second, 'lane-c'), acquireBase(io({ checkpoint: barrier }), third, 'lane-d')]);
    expect([x.built, y.built]).toEqual([true, true]);
    expect(arrived).toBe(2);
    expect(await fsp.readFile(path.join(y.tree, 'third.txt'), 'utf8')).toBe('third\n');
    await releaseBase(io(), third, 'lane-d');
  });

  it('a build killed half-way leaves a .tmp dir that the next acquire of that commit removes', async () => {
    const bases = path.join(stateDir, 'bases');
    const killed = path.join(bases, `.tmp-${second}-0123456789ab`);
    await fsp.mkdir(path.join(killed, 'tree', 'src'), { recursive: true });
    await fsp.writeFile(path.join(killed, 'tree', 'src', 'half.js'), 'half');
    await fsp.writeFile(path.join(killed, 'index'), 'DIRC');
    // Another commit's temp dir may be a build in progress under that commit's lock: left alone.
    const otherCommit = path.join(bases, `.tmp-${'e'.repeat(40)}-0123456789ab`);
    await fsp.mkdir(otherCommit);
    const got = await acquireBase(io(), second, 'lane-e');
    expect(got.built).toBe(false);
    expect(await fsp.access(killed).then(() => true, () => false)).toBe(false);
    expect(await fsp.access(otherCommit).then(() => true, () => false)).toBe(true);
    await fsp.rm(otherCommit, { recursive: true });
    expect((await listBases(io())).find((b) => b.oid === second)?.users).toEqual(['lane-c', 'lane-e']);
  });

  it('the base goes with its last user, read-only bind and all; releasing again is a no-op', async () => {
    const dir = path.join(stateDir, 'bases', first);
    expect(await releaseBase(io(), first, 'lane-a')).toEqual({ removed: false });
    expect(await fsp.readdir(path.join(dir, 'users'))).toEqual(['lane-b']);
    expect(await releaseBase(io(), first, 'lane-b')).toEqual({ removed: true });
    expect(await fsp.access(dir).then(() => true, () => false)).toBe(false);
    expect(await mountPointsUnder(dir)).toEqual([]);
    expect(await releaseBase(io(), first, 'lane-b')).toEqual({ removed: false });
    for (const lane of ['lane-c', 'lane-e']) await releaseBase(io(), second, lane);
    expect(await listBases(io())).toEqual([]);
    expect(await fsp.readdir(path.join(stateDir, 'bases'))).toEqual([]);
    expect(await mountPointsUnder(stateDir)).toEqual([]);
  });

  it('a symlink where a base should be is refused, not followed', async () => {
    const elsewhere = path.join(repo.dir, 'elsewhere');
    await fsp.mkdir(path.join(elsewhere, 'users'), { recursive: true });
    await fsp.symlink(elsewhere, path.join(stateDir, 'bases', first));
    await expect(acquireBase(io(), first, 'lane-a')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(await fsp.readdir(path.join(elsewhere, 'users'))).toEqual([]);
    await fsp.rm(path.join(stateDir, 'bases', first));
  });
});
