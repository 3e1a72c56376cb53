import { accessSync, constants, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { ProbeResult } from '../lane/contract.js';
import { quietly, statQuietly } from '../fs/safe-read.js';
import { scopeProblem, systemdIsInit } from './systemd.js';

/** Where the kernel's cgroup filesystems are mounted on every common distribution. */
export const CGROUP_ROOT = '/sys/fs/cgroup';
export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** v1: one hierarchy per controller (root/<controller>); v2: the unified tree at root; systemd: v2 through systemd's transient units. */
export type CgroupMode = 'v1' | 'v2' | 'systemd';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CgroupProbe extends ProbeResult {
  readonly root: string;
  readonly mode: CgroupMode | undefined;
  /** Controllers isolane can set limits with here. */
  readonly usable: readonly Controller[];
  /** Why each other controller cannot be used. */
  readonly problems: Partial<Record<Controller, string>>;
}

/** Whether `dir` can take new cgroups, and why not in words; looks only, writes nothing. */
function writable(dir: string): string | undefined {
  // A subtree made for isolane (and perhaps handed to this user) decides when it is there.
  const own = path.join(dir, 'isolane');
  const at = statQuietly(own)?.isDirectory() ? own : dir;
  try {
    accessSync(at, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${at} is mounted read-only (in a container, run it with a writable cgroup filesystem, e.g. docker run --cgroupns=private with --privileged)`;
    if (code === 'EACCES' || code === 'EPERM') {
      const uid = process.getuid?.() ?? -1;
      return `${at} is not writable by uid ${uid}: run isolane as root, or have root make ${own} and hand it to you (chown -R)`;
    }
    return `${at}: ${code ?? String(e)}`;
  }
}

function fsType(dir: string): number | undefined {
  return quietly(() => statfsSync(dir))?.type;
}

export interface ProbeOptions {
  /** Prove that systemd starts a scope (one empty `systemd-run --scope true`); false: take PID 1 being systemd on v2 as enough (to find what exists, for removal). */
  readonly tryScope?: boolean;
}

/**
 * Can isolane cap a lane's processes here, and with which controllers? Only looks: statfs,
 * access(2) and, under systemd, one empty scope; no cgroup made. `root` is the cgroup mount
 * point (tests give another; systemd is asked only at the real one). Its calls on the cgroup
 * filesystem are synchronous, as src/fs/safe-read.ts reads: every `down` asks, and a dozen round
 * trips through libuv's thread pool cost it about 4 ms.
 */
export async function probeCgroups(root: string = CGROUP_ROOT, opts: ProbeOptions = {}): Promise<CgroupProbe> {
  const problems: Partial<Record<Controller, string>> = {};
  const usable: Controller[] = [];
  const result = (mode: CgroupMode | undefined, detail: string): CgroupProbe => {
    const missing = CONTROLLERS.filter((c) => !usable.includes(c));
    const reason = missing.map((c) => `${c}: ${problems[c] ?? 'unknown'}`).join('; ');
    return { available: missing.length === 0, ...(missing.length > 0 ? { reason } : {}), detail, root, mode, usable, problems };
  };
  const type = fsType(root);
  if (type === undefined) {
    for (const c of CONTROLLERS) problems[c] = `no cgroup filesystem at ${root}`;
    return result(undefined, 'no cgroups');
  }
  const controllersFile = path.join(root, 'cgroup.controllers');
  const unified = quietly(() => readFileSync(controllersFile, 'utf8'));
  if (unified !== undefined && type === CGROUP2_SUPER_MAGIC) {
    const enabled = new Set(unified.trim().split(/\s+/));
    const absent = (c: Controller): string | undefined => (enabled.has(c) ? undefined : `the ${c} controller is not available in ${controllersFile}`);
    // systemd owns the tree where it is PID 1: its scopes are the way in, for root and users alike.
    let viaSystemd: string | undefined;
    if (root === CGROUP_ROOT && systemdIsInit()) {
      const user = process.getuid?.() !== 0;
      viaSystemd = opts.tryScope === false ? undefined : await scopeProblem(user);
      if (viaSystemd === undefined) {
        for (const c of CONTROLLERS) {
          const problem = absent(c);
          if (problem) problems[c] = problem;
          else usable.push(c);
        }
        return result('systemd', `cgroup v2 through systemd${user ? ' --user' : ''} scopes`);
      }
    }
    const denied = writable(root);
    for (const c of CONTROLLERS) {
      const problem = absent(c) ?? (denied && viaSystemd ? `${viaSystemd}; and ${denied}` : denied);
      if (problem) problems[c] = problem;
      else usable.push(c);
    }
    return result('v2', `cgroup v2 at ${root}`);
  }
  let v1 = false;
  for (const c of CONTROLLERS) {
    const dir = path.join(root, c);
    const t = fsType(dir);
    v1 ||= t === CGROUP_SUPER_MAGIC;
    if (t !== CGROUP_SUPER_MAGIC) {
      problems[c] = t === undefined ? `no ${c} hierarchy at ${dir}` : `${dir} is not a cgroup filesystem`;
      continue;
    }
    const denied = writable(dir);
    if (denied) problems[c] = denied;
    else usable.push(c);
  }
  return result(v1 ? 'v1' : undefined, `cgroup v1 at ${root}/{${CONTROLLERS.join(',')}}`);
}
