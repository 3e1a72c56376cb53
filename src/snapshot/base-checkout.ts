import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { lstatOrUndefined, unsafePath } from '../fs/safe-read.js';
import { assertLaneName } from '../git/names.js';
import { baseFiles, buildBase, type BaseFiles } from './base-build.js';
import { SnapshotError } from './errors.js';
import { mountsUnder } from './mountinfo.js';
import { canMount } from './privilege.js';
import { bindReadOnly, unbindReadOnly } from './readonly-bind.js';

/** What the base checkouts need from their caller (the snapshot strategy, or a test). */
export interface BaseIo {
  readonly ctx: Context;
  readonly repoRoot: string;
  readonly commonDir: string;
  /** `<basesDir>/<oid>/{tree,index,users/<lane>}`, in isolane's state dir. */
  readonly basesDir: string;
  /** Runs fn holding the named lock (across processes); one lock per commit: `base-<oid>`. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface AcquiredBase extends BaseFiles {
  /** This call checked the commit out (false: the base was there already). */
  readonly built: boolean;
}

export interface BaseInfo {
  readonly oid: string;
  /** The lanes using it: one empty file each in `users/`. */
  readonly users: string[];
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function checkOid(oid: string): void {
  if (!OID.test(oid)) throw new SnapshotError('BAD_OID', `not a full object id: ${JSON.stringify(oid)}`, { hint: 'resolve the commit first (40 or 64 lower-case hex digits)' });
}

/**
 * The read-only checkout of `oid` that `lane` layers its files over, made on first use and
 * shared by every lane on that commit. A base is built in `.tmp-<oid>-<random>` with its first
 * user already recorded and renamed into place, so `<oid>/` exists only complete and never
 * unowned; a build killed half-way leaves a `.tmp-*`, removed by the next acquire or release.
 */
export async function acquireBase(io: BaseIo, oid: string, lane: string): Promise<AcquiredBase> {
  checkOid(oid);
  assertLaneName(lane);
  return io.withLock(`base-${oid}`, async () => {
    await removeLeftovers(io, oid);
    const dir = path.join(io.basesDir, oid);
    const built = !(await isBaseDir(dir));
    const hadUser = !built && (await lstatOrUndefined(path.join(dir, 'users', lane))) !== undefined;
    if (built) await build(io, oid, dir, lane);
    else await addUser(dir, lane);
    const files = baseFiles(dir);
    // Unprivileged, the base stays writable: making its files read-only by mode would be
    // copied up into lanes with them, and the agent could not edit its own files.
    if (await canMount()) {
      try {
        await bindReadOnly(files.tree, io.ctx);
      } catch (e) {
        if (!hadUser) await dropUser(io, oid, dir, lane).catch((c: unknown) => io.ctx.logger.warn(`could not undo lane ${lane}'s use of base ${oid}: ${String(c)}`));
        throw e;
      }
    }
    return { ...files, built };
  });
}

/** `lane` no longer uses the base of `oid`; the last user's release removes it. */
export async function releaseBase(io: BaseIo, oid: string, lane: string): Promise<{ removed: boolean }> {
  checkOid(oid);
  assertLaneName(lane);
  return io.withLock(`base-${oid}`, async () => {
    await removeLeftovers(io, oid);
    const dir = path.join(io.basesDir, oid);
    if (!(await isBaseDir(dir))) return { removed: false };
    return { removed: await dropUser(io, oid, dir, lane) };
  });
}

export async function listBases(io: Pick<BaseIo, 'basesDir'>): Promise<BaseInfo[]> {
  const names = await fsp.readdir(io.basesDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const bases: BaseInfo[] = [];
  for (const oid of names.filter((n) => OID.test(n)).sort()) {
    const users = await fsp.readdir(path.join(io.basesDir, oid, 'users')).catch(() => [] as string[]);
    bases.push({ oid, users: users.sort() });
  }
  return bases;
}

async function addUser(dir: string, lane: string): Promise<void> {
  await fsp.mkdir(path.join(dir, 'users'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'users', lane), '');
}

async function build(io: BaseIo, oid: string, dir: string, lane: string): Promise<void> {
  const tmp = path.join(io.basesDir, `.tmp-${oid}-${randomBytes(6).toString('hex')}`);
  try {
    await fsp.mkdir(tmp, { recursive: true });
    await io.ctx.checkpoint?.('snapshot:base-building');
    io.ctx.logger.progress(`checking out ${oid.slice(0, 12)} as a shared base`);
    await buildBase(io.ctx, io.commonDir, oid, tmp);
    await addUser(tmp, lane);
    await fsp.rename(tmp, dir);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Removes the lane's user file; when none is left, the base goes. Returns whether it went. */
async function dropUser(io: BaseIo, oid: string, dir: string, lane: string): Promise<boolean> {
  await fsp.rm(path.join(dir, 'users', lane), { force: true });
  const left = await fsp.readdir(path.join(dir, 'users')).catch(() => [] as string[]);
  if (left.length > 0) return false;
  await unbindReadOnly(baseFiles(dir).tree, io.ctx);
  // Renamed first, so a removal killed half-way never leaves a base that looks complete.
  const trash = path.join(io.basesDir, `.tmp-${oid}-${randomBytes(6).toString('hex')}`);
  await assertNothingMounted(dir);
  await fsp.rename(dir, trash);
  await fsp.rm(trash, { recursive: true, force: true });
  return true;
}

/**
 * A `.tmp-<oid>-*` is a build or removal of this commit's base that a killed process left:
 * nobody else works on it while we hold the commit's lock (a git child still running for a
 * killed isolane inherited the lock's descriptor, so we would not hold it yet).
 */
async function removeLeftovers(io: BaseIo, oid: string): Promise<void> {
  const names = await fsp.readdir(io.basesDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  for (const name of names.filter((n) => n.startsWith(`.tmp-${oid}-`))) {
    const leftover = path.join(io.basesDir, name);
    io.ctx.logger.debug(`removing ${leftover}, left by an interrupted base build or removal`);
    for (const point of await mountsUnder(leftover)) await unbindReadOnly(point, io.ctx);
    await assertNothingMounted(leftover);
    await fsp.rm(leftover, { recursive: true, force: true });
  }
}

/** rm -rf must never reach through a mount into what it covers. */
async function assertNothingMounted(dir: string): Promise<void> {
  const points = await mountsUnder(dir);
  if (points.length > 0) {
    throw new SnapshotError('BUSY', `${dir} still has mounts in it (${points.join(', ')}); it is not removed`, { hint: 'unmount the lanes that use this base first' });
  }
}

/** The base dir exists; a symlink or file in its place (the state dir is writable from worktree lanes) is refused. */
async function isBaseDir(dir: string): Promise<boolean> {
  const st = await lstatOrUndefined(dir);
  if (!st) return false;
  if (!st.isDirectory()) throw unsafePath(dir, st.isSymbolicLink() ? 'is a symlink, not a base checkout' : 'is not a directory');
  return true;
}
