/**
 * What the snapshot tests share: whether this host can run them (and the CI rule that the
 * kernel backend must run there), a real-lock BaseIo, git and mount clean-up without isolane.
 */
import { execFile } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createContext, type Context } from '../../src/context.js';
import { acquireLock } from '../../src/fs/lock.js';
import type { BaseIo } from '../../src/snapshot/base-checkout.js';

const run = promisify(execFile);
export const SBIN_PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`;

/** Runs a system tool (mount, umount live in sbin) with a time limit; throws on failure. */
export const sys = async (cmd: string, args: readonly string[]): Promise<string> =>
  (await run(cmd, [...args], { env: { ...process.env, PATH: SBIN_PATH, LC_ALL: 'C' }, timeout: 30_000 })).stdout;

async function hasCapSysAdmin(): Promise<boolean> {
  const status = await fsp.readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> 21n) & 1n) === 1n;
}

/** Why the kernel-overlay tests cannot run here, or undefined. Under CI=true as root they must: throws. */
export async function kernelMissing(file: string): Promise<string | undefined> {
  let why: string | undefined;
  if (process.platform !== 'linux') why = `not Linux (${process.platform})`;
  else if (!(await hasCapSysAdmin())) why = 'not root and no CAP_SYS_ADMIN: the kernel overlay and read-only binds need one';
  else if (!(await fsp.readFile('/proc/filesystems', 'utf8')).includes('\toverlay\n')) {
    // Not listed until the module is loaded: a mount loads it, so try one.
    why = await sys('modprobe', ['overlay']).then(() => undefined, () => 'the kernel has no overlay filesystem (modprobe overlay failed)');
  }
  if (why && process.env.CI === 'true' && process.getuid?.() === 0) throw new Error(`CI=true and root, but ${file} cannot run its kernel overlay tests: ${why}`);
  if (why) process.stderr.write(`${file}: skipping kernel overlay tests, ${why}\n`);
  return why;
}

/** Why the fuse-overlayfs tests cannot run here, or undefined (they skip wherever it is not installed). */
export async function fuseMissing(file: string): Promise<string | undefined> {
  let why: string | undefined;
  if (process.platform !== 'linux') why = `not Linux (${process.platform})`;
  else if (!(await sys('fuse-overlayfs', ['--version']).then(() => true, () => false))) why = 'fuse-overlayfs not installed (apt-get install fuse-overlayfs)';
  else if (!(await fsp.access('/dev/fuse', constants.R_OK | constants.W_OK).then(() => true, () => false))) why = 'no usable /dev/fuse';
  if (why) process.stderr.write(`${file}: skipping fuse-overlayfs tests, ${why}\n`);
  return why;
}

/** A context for git in temp repos: the caller's PATH, a HOME of the test's own. */
export function testContext(home: string, overrides: Partial<Context> = {}): Context {
  return createContext({ cwd: home, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, ...overrides });
}

/** The BaseIo the snapshot strategy will pass, with real OFD locks under `stateDir/locks`. */
export function baseIo(ctx: Context, repoRoot: string, commonDir: string, stateDir: string): BaseIo {
  return {
    ctx,
    repoRoot,
    commonDir,
    basesDir: path.join(stateDir, 'bases'),
    async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const lock = await acquireLock(path.join(stateDir, 'locks', `${name}.lock`), name, { timeoutMs: ctx.lockTimeoutMs, registry: ctx.heldLocks });
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
  };
}

/** Mount points at or below `dir` (deepest first), read from mountinfo without isolane's parser. */
export async function mountPointsUnder(dir: string): Promise<string[]> {
  const real = await fsp.realpath(dir).catch(() => dir);
  const points = (await fsp.readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === real || p.startsWith(`${real}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything under `dir`, then removes it: never rm -rf through a mount. A mount a
 * failed test left busy is detached lazily rather than left behind.
 */
export async function unmountAllAndRemove(dir: string | undefined): Promise<void> {
  if (!dir) return;
  for (let round = 0; round < 4; round++) {
    const points = await mountPointsUnder(dir);
    if (points.length === 0) break;
    for (const p of points) await sys('umount', [p]).catch(() => sys('umount', ['-l', p]));
  }
  const left = await mountPointsUnder(dir);
  if (left.length > 0) throw new Error(`could not unmount ${left.join(', ')}; not removing ${dir}`);
  await fsp.rm(dir, { recursive: true, force: true });
}

/** Bytes a directory tree takes on disk (allocated blocks), symlinks not followed. */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    total += (await fsp.lstat(path.join(entry.parentPath, entry.name))).blocks * 512;
  }
  return total;
}

/** Files (not directories) under `dir`, relative, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}
