import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../errors.js';
import { LANE_NAME } from '../git/names.js';
import type { Caps } from './caps.js';
import { CONTROLLERS, type CgroupMode, type Controller } from './probe.js';

/**
 * isolane's cgroups: under each hierarchy (v1) or the unified tree (v2), `isolane/<repo-id>`
 * holds the repository's budget and one child per lane its own limits:
 *
 *   v1: <root>/{memory,cpu,pids}/isolane/<repo-id>/<lane>
 *   v2: <root>/isolane/<repo-id>/<lane>
 *
 * Every write sets a value whole, so making a lane's cgroups again is harmless; the caller holds
 * the repository's limits lock.
 */
export interface Tree {
  readonly root: string;
  readonly mode: Exclude<CgroupMode, 'systemd'>;
  readonly repoId: string;
}

/** CFS period isolane writes with every quota (the kernel's default). */
const PERIOD_US = 100_000;

/** The repository's slice in the hierarchy of `controller`. */
export function sliceDir(tree: Tree, controller: Controller): string {
  return tree.mode === 'v1' ? path.join(tree.root, controller, 'isolane', tree.repoId) : path.join(tree.root, 'isolane', tree.repoId);
}

export function laneDirs(tree: Tree, lane: string, controllers: readonly Controller[] = CONTROLLERS): string[] {
  return [...new Set(controllers.map((c) => path.join(sliceDir(tree, c), lane)))];
}

function failed(file: string, value: string, e: unknown): IsolaneError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'EBUSY' ? 'the processes there already use more' : code === 'EINVAL' ? 'the kernel refused the value' : (code ?? String(e));
  return new IsolaneError('LIMITS_UNAVAILABLE', `could not set ${path.basename(file)} to ${value} in ${path.dirname(file)}: ${why}`, {
    hint: code === 'EBUSY' ? 'stop what runs in the lane, or raise the limit' : 'check limits and budget in isolane.yaml',
    cause: e,
  });
}

async function put(file: string, value: string): Promise<void> {
  try {
    await fsp.writeFile(file, value);
  } catch (e) {
    throw failed(file, value, e);
  }
}

const readNumber = async (file: string): Promise<number | undefined> => {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  const n = text === undefined ? Number.NaN : Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
};

const exists = async (file: string): Promise<boolean> => (await fsp.stat(file).catch(() => undefined)) !== undefined;

/** v1 memory: memory.memsw (memory + swap) must never be below memory, so the order of the two writes follows the direction. */
async function setMemoryV1(dir: string, bytes: number | undefined): Promise<void> {
  const value = String(bytes ?? -1);
  const memsw = path.join(dir, 'memory.memsw.limit_in_bytes');
  const mem = path.join(dir, 'memory.limit_in_bytes');
  if (!(await exists(memsw))) return put(mem, value);
  const current = await readNumber(mem);
  // Unlimited reads back as a huge number: raising means memsw first.
  if (bytes === undefined || current === undefined || bytes > current) {
    await put(memsw, value);
    await put(mem, value);
  } else {
    await put(mem, value);
    await put(memsw, value);
  }
}

/** v1 cpu: a child's quota may not exceed its parent's, so a lane's is clamped to the budget and lanes above a lowered budget are lowered first. */
async function setCpuV1(dir: string, cpus: number | undefined, children: readonly string[] = []): Promise<void> {
  const quota = cpus === undefined ? -1 : Math.max(1000, Math.round(cpus * PERIOD_US));
  await put(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US)).catch(() => undefined);
  if (quota !== -1) {
    for (const child of children) {
      const q = await readNumber(path.join(child, 'cpu.cfs_quota_us'));
      if (q === -1 || (q !== undefined && q > quota)) await put(path.join(child, 'cpu.cfs_quota_us'), String(quota));
    }
  }
  await put(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && LANE_NAME.test(e.name)).map((e) => path.join(dir, e.name));
}

async function applyV1(controller: Controller, dir: string, caps: Caps, budget: Caps | undefined): Promise<void> {
  if (controller === 'memory') return setMemoryV1(dir, caps.memory);
  if (controller === 'pids') return put(path.join(dir, 'pids.max'), caps.pids === undefined ? 'max' : String(caps.pids));
  if (budget) return setCpuV1(dir, caps.cpus, await subdirs(dir));
  // A lane: never above the budget (the kernel would refuse it).
  const parentQuota = await readNumber(path.join(path.dirname(dir), 'cpu.cfs_quota_us'));
  const ceiling = parentQuota === undefined || parentQuota < 0 ? Infinity : parentQuota / PERIOD_US;
  return setCpuV1(dir, caps.cpus === undefined ? undefined : Math.min(caps.cpus, ceiling));
}

async function applyV2(dir: string, controllers: readonly Controller[], caps: Caps): Promise<void> {
  for (const c of controllers) {
    if (c === 'memory') {
      await put(path.join(dir, 'memory.max'), caps.memory === undefined ? 'max' : String(caps.memory));
      // v1's memsw counts swap against the limit; v2 keeps swap apart: none for a capped lane.
      if (await exists(path.join(dir, 'memory.swap.max'))) await put(path.join(dir, 'memory.swap.max'), caps.memory === undefined ? 'max' : '0');
    }
    if (c === 'cpu') await put(path.join(dir, 'cpu.max'), `${caps.cpus === undefined ? 'max' : Math.max(1000, Math.round(caps.cpus * PERIOD_US))} ${PERIOD_US}`);
    if (c === 'pids') await put(path.join(dir, 'pids.max'), caps.pids === undefined ? 'max' : String(caps.pids));
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new IsolaneError('LIMITS_UNAVAILABLE', `could not make the cgroup ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: 'run isolane as root or where cgroups are delegated to you, or remove limits and budget from isolane.yaml',
      cause: e,
    });
  }
}

/** v2: a cgroup's controllers must be enabled in each parent's subtree_control on the way down. */
async function enableV2(tree: Tree, controllers: readonly Controller[]): Promise<void> {
  const wanted = controllers.map((c) => `+${c}`).join(' ');
  for (const dir of [tree.root, path.join(tree.root, 'isolane'), path.join(tree.root, 'isolane', tree.repoId)]) {
    const control = path.join(dir, 'cgroup.subtree_control');
    const on = new Set(((await fsp.readFile(control, 'utf8').catch(() => '')) || '').trim().split(/\s+/));
    if (controllers.every((c) => on.has(c))) continue;
    await put(control, wanted);
  }
}

/**
 * Makes (or updates) the repository's slice with `budget` and the lane's cgroups with `limits`
 * in every controller of `controllers`; returns the `cgroup.procs` files to place a command in.
 */
export async function ensureLaneCgroups(tree: Tree, lane: string, controllers: readonly Controller[], limits: Caps, budget: Caps): Promise<string[]> {
  if (!LANE_NAME.test(lane)) throw new IsolaneError('USAGE', `not a lane name: ${JSON.stringify(lane)}`);
  if (tree.mode === 'v2') {
    const slice = sliceDir(tree, 'memory');
    await makeDir(slice);
    await enableV2(tree, controllers);
    await applyV2(slice, controllers, budget);
    const dir = path.join(slice, lane);
    await makeDir(dir);
    await applyV2(dir, controllers, limits);
    return [path.join(dir, 'cgroup.procs')];
  }
  const files: string[] = [];
  for (const c of controllers) {
    const slice = sliceDir(tree, c);
    await makeDir(slice);
    await applyV1(c, slice, budget, budget);
    const dir = path.join(slice, lane);
    await makeDir(dir);
    await applyV1(c, dir, limits, undefined);
    files.push(path.join(dir, 'cgroup.procs'));
  }
  return files;
}

/** Pids still in a cgroup (its cgroup.procs), for a note. */
async function members(dir: string): Promise<string[]> {
  const text = await fsp.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

/**
 * Removes a lane's cgroups (every hierarchy, whatever isolane.yaml says now); returns notes for
 * what could not be removed. A cgroup with processes in it stays: the kernel refuses, and the
 * note names them.
 */
export async function removeLaneDirs(tree: Tree, lane: string): Promise<string[]> {
  if (!LANE_NAME.test(lane)) return [];
  const notes: string[] = [];
  for (const dir of laneDirs(tree, lane)) {
    try {
      await fsp.rmdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      const pids = code === 'EBUSY' ? await members(dir) : [];
      notes.push(`cgroup ${dir} kept: ${pids.length > 0 ? `processes ${pids.slice(0, 10).join(' ')} still run in it` : (code ?? String(e))}`);
    }
  }
  return notes;
}

/** Lanes that have a cgroup in this repository's slice (any hierarchy). */
export async function laneCgroupNames(tree: Tree): Promise<string[]> {
  const names = new Set<string>();
  for (const c of tree.mode === 'v1' ? CONTROLLERS : (['memory'] as const)) {
    for (const dir of await subdirs(sliceDir(tree, c))) names.add(path.basename(dir));
  }
  return [...names].sort();
}
