import { readFileSync } from 'node:fs';
import { quietly } from '../fs/safe-read.js';
import { IsolaneError } from '../errors.js';
import { LANE_NAME } from '../git/names.js';
import type { Caps } from './caps.js';

/**
 * cgroup v2 under systemd: systemd owns the tree, so isolane asks it instead of writing there.
 * The repository's budget is a slice, each lane's limits a slice inside it, and each command a
 * transient scope in its lane's slice (`systemd-run --scope` registers itself, then execs the
 * command: it starts inside). As root the system manager, else the user's (`--user`).
 *
 *   isolane.slice / isolane-<repo-id>.slice / isolane-<repo-id>-<lane>.slice / run-*.scope
 */
export interface SystemdTree {
  readonly user: boolean;
  readonly repoId: string;
}

/** `-` nests slices: a lane's own dashes are escaped as systemd-escape does. */
export const repoSlice = (repoId: string): string => `isolane-${repoId}.slice`;
export const laneSlice = (repoId: string, lane: string): string => `isolane-${repoId}-${lane.replaceAll('-', '\\x2d')}.slice`;
const laneOfSlice = (repoId: string, unit: string): string | undefined => {
  const prefix = `isolane-${repoId}-`;
  if (!unit.startsWith(prefix) || !unit.endsWith('.slice')) return undefined;
  const lane = unit.slice(prefix.length, -'.slice'.length).replaceAll('\\x2d', '-');
  return LANE_NAME.test(lane) ? lane : undefined;
};

const userFlag = (user: boolean): string[] => (user ? ['--user'] : []);

/** PID 1 is systemd: the only case where its transient units are the way in. */
export function systemdIsInit(): boolean {
  return (quietly(() => readFileSync('/proc/1/comm', 'utf8')) ?? '').trim() === 'systemd';
}

/** Why systemd cannot start a scope for this user here (a real, empty one), or undefined when it can. */
export async function scopeProblem(user: boolean): Promise<string | undefined> {
  const { execa } = await import('execa'); // only where systemd manages cgroups: `ls` reads slice names without it
  const r = await execa('systemd-run', [...userFlag(user), '--scope', '--quiet', '--collect', '--', 'true'], { reject: false, timeout: 10_000 });
  if (r.exitCode === 0) return undefined;
  const said = (typeof r.stderr === 'string' ? r.stderr : '').trim().split('\n')[0] ?? '';
  return `systemd-run${user ? ' --user' : ''} --scope failed${said ? `: ${said}` : ''}${r.code === 'ENOENT' ? ' (systemd-run not found)' : ''}`;
}

function properties(caps: Caps): string[] {
  return [
    `MemoryMax=${caps.memory ?? 'infinity'}`,
    `MemorySwapMax=${caps.memory === undefined ? 'infinity' : '0'}`,
    // An empty CPUQuota= removes the quota.
    `CPUQuota=${caps.cpus === undefined ? '' : `${Math.max(1, Math.round(caps.cpus * 100))}%`}`,
    `TasksMax=${caps.pids ?? 'infinity'}`,
  ];
}

async function systemctl(tree: SystemdTree, args: readonly string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const { execa } = await import('execa');
  const r = await execa('systemctl', [...userFlag(tree.user), ...args], { reject: false, timeout: 30_000 });
  return { ok: r.exitCode === 0, out: typeof r.stdout === 'string' ? r.stdout : '', err: typeof r.stderr === 'string' ? r.stderr.trim() : '' };
}

async function setProperties(tree: SystemdTree, unit: string, caps: Caps): Promise<void> {
  const r = await systemctl(tree, ['set-property', '--runtime', '--', unit, ...properties(caps)]);
  if (!r.ok) {
    throw new IsolaneError('LIMITS_UNAVAILABLE', `systemd refused the limits of ${unit}: ${r.err || 'systemctl set-property failed'}`, {
      hint: 'check limits and budget in isolane.yaml, or remove them to run uncapped',
    });
  }
}

/** Sets the budget's and the lane's slices; returns the argv prefix that starts a command in the lane's slice. */
export async function ensureLaneSlices(tree: SystemdTree, lane: string, limits: Caps, budget: Caps): Promise<string[]> {
  if (!LANE_NAME.test(lane)) throw new IsolaneError('USAGE', `not a lane name: ${JSON.stringify(lane)}`);
  await setProperties(tree, repoSlice(tree.repoId), budget);
  const slice = laneSlice(tree.repoId, lane);
  await setProperties(tree, slice, limits);
  return ['systemd-run', ...userFlag(tree.user), '--scope', '--quiet', '--collect', `--slice=${slice}`, '--'];
}

/** Drops the lane's slice and its limits, unless processes still run in it (then a note). */
export async function removeLaneSlice(tree: SystemdTree, lane: string): Promise<string[]> {
  if (!LANE_NAME.test(lane)) return [];
  const slice = laneSlice(tree.repoId, lane);
  const tasks = (await systemctl(tree, ['show', '-P', 'TasksCurrent', '--', slice])).out.trim();
  if (/^[1-9]\d*$/.test(tasks)) return [`slice ${slice} kept: ${tasks} processes still run in it`];
  await systemctl(tree, ['stop', '--', slice]);
  const reverted = await systemctl(tree, ['revert', '--', slice]);
  return reverted.ok ? [] : [`slice ${slice}: its limits were not removed: ${reverted.err}`];
}

/** Lanes with a slice systemd knows of in this repository's budget. */
export async function laneSliceNames(tree: SystemdTree): Promise<string[]> {
  const r = await systemctl(tree, ['list-units', '--all', '--plain', '--no-legend', '--type=slice', '--', `isolane-${tree.repoId}-*`]);
  return [...new Set(r.out.split('\n').map((l) => laneOfSlice(tree.repoId, l.trim().split(/\s+/)[0] ?? '')).filter((l): l is string => l !== undefined))].sort();
}
