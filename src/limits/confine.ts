import path from 'node:path';
import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';
import { acquireLock } from '../fs/lock.js';
import { lstatQuietly } from '../fs/safe-read.js';
import { confinedArgv, type Confinement } from '../process/confined-argv.js';
import { CGROUP_ROOT, CONTROLLERS, probeCgroups, type Controller } from './probe.js';
import { ensureLaneSlices, laneSliceNames, removeLaneSlice, type SystemdTree } from './systemd.js';
import { capsOf, hasCaps, type Caps } from './caps.js';
import { ensureLaneCgroups, laneCgroupNames, laneDirs, removeLaneDirs, type Tree } from './tree.js';

/** The lane's and the repository's caps from isolane.yaml; undefined when neither section sets any. */
export function configuredCaps(project: Pick<Project, 'config'>): { readonly limits: Caps; readonly budget: Caps } | undefined {
  const limits = capsOf(project.config.limits);
  const budget = capsOf(project.config.budget);
  return hasCaps(limits) || hasCaps(budget) ? { limits, budget } : undefined;
}

/** The controllers the configured caps need. */
function needed(caps: { readonly limits: Caps; readonly budget: Caps }): Controller[] {
  return CONTROLLERS.filter((c) => caps.limits[c === 'cpu' ? 'cpus' : c] !== undefined || caps.budget[c === 'cpu' ? 'cpus' : c] !== undefined);
}

async function withLimitsLock<T>(project: Project, fn: () => Promise<T>): Promise<T> {
  const { ctx } = project;
  const lock = await acquireLock(path.join(project.stateDir, 'limits.lock'), `cgroups of ${project.repo.root}`, {
    timeoutMs: ctx.lockTimeoutMs,
    registry: ctx.heldLocks,
    clock: ctx,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Where commands of `record`'s lane must run: its cgroups, made (or brought in line with
 * isolane.yaml) now. Undefined when isolane.yaml sets no limits or budget, or when the lane's
 * commands do not run on this host (a container has limits of its own). Throws
 * LIMITS_UNAVAILABLE when caps are set but cgroups cannot be used here: never runs uncapped.
 * `root` is for tests.
 */
export async function laneConfinement(project: Project, record: LaneRecord, root: string = CGROUP_ROOT): Promise<Confinement | undefined> {
  const caps = configuredCaps(project);
  if (!caps) return undefined;
  if (!(await project.strategy(record.strategy)).runsOnHost) return undefined;
  const probe = await probeCgroups(root);
  const wanted = needed(caps);
  const missing = wanted.filter((c) => !probe.usable.includes(c));
  if (probe.mode === undefined || missing.length > 0) {
    throw new IsolaneError('LIMITS_UNAVAILABLE', `lane ${record.lane} has limits or budget in isolane.yaml, but cgroups cannot be used here: ${missing.map((c) => `${c}: ${probe.problems[c] ?? 'unknown'}`).join('; ')}`, {
      hint: 'run isolane where cgroups are writable (as root, or with a delegated cgroup), or remove limits and budget from isolane.yaml to run uncapped',
      data: { lane: record.lane, problems: probe.problems },
    });
  }
  if (probe.mode === 'systemd') {
    const tree: SystemdTree = { user: process.getuid?.() !== 0, repoId: project.repo.id };
    return { prefix: await withLimitsLock(project, () => ensureLaneSlices(tree, record.lane, caps.limits, caps.budget)) };
  }
  // Every usable controller, not only the capped ones: the lane's processes are then found in one place.
  const controllers = probe.mode === 'v2' ? wanted : probe.usable;
  const tree: Tree = { root, mode: probe.mode, repoId: project.repo.id };
  const procsFiles = await withLimitsLock(project, () => ensureLaneCgroups(tree, record.lane, controllers, caps.limits, caps.budget));
  return { procsFiles };
}

/**
 * argv that runs `argv` inside the lane's cgroups (argv itself when no caps are set): for
 * anything isolane starts in a lane on the host besides `run` and `shell` (services).
 */
export async function confineArgv(project: Project, record: LaneRecord, argv: readonly string[]): Promise<readonly string[]> {
  return confinedArgv(await laneConfinement(project, record), argv);
}

/** How this host's cgroups are laid out (v1, v2 or systemd), without proving systemd works: for finding what exists. */
async function treeOf(project: Project, root: string): Promise<Tree | SystemdTree | undefined> {
  const probe = await probeCgroups(root, { tryScope: false });
  if (probe.mode === 'systemd') return { user: process.getuid?.() !== 0, repoId: project.repo.id };
  return probe.mode ? { root, mode: probe.mode, repoId: project.repo.id } : undefined;
}

/** Removes the lane's cgroups (or its systemd slice); notes for what stays (processes still in it). Never throws: `down` goes on. */
export async function removeLaneCgroup(project: Project, lane: string, root: string = CGROUP_ROOT): Promise<string[]> {
  const tree = await treeOf(project, root);
  if (!tree) return [];
  // A lane that never ran confined has no cgroup: no limits lock to take for it (`down` holds the
  // lane, so none is made meanwhile; `gc` finds one made later on its next pass).
  if ('mode' in tree && !laneDirs(tree, lane).some((dir) => lstatQuietly(dir) !== undefined)) return [];
  try {
    return await withLimitsLock(project, () => ('mode' in tree ? removeLaneDirs(tree, lane) : removeLaneSlice(tree, lane)));
  } catch (e) {
    return [`cgroups of lane ${lane} not removed: ${e instanceof Error ? e.message : String(e)}`];
  }
}

/** Lanes of this repository with cgroups (or slices) left but not in `liveLanes`: for gc, which removes them with removeLaneCgroup. */
export async function staleLaneCgroups(project: Project, liveLanes: ReadonlySet<string>, root: string = CGROUP_ROOT): Promise<string[]> {
  const tree = await treeOf(project, root);
  if (!tree) return [];
  const names = 'mode' in tree ? await laneCgroupNames(tree) : await laneSliceNames(tree);
  return names.filter((lane) => !liveLanes.has(lane));
}
