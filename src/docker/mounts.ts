import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../errors.js';
import { isInside, overlaps } from './mount-target.js';

/** A bind mount into a lane's container, its source resolved on the host. */
export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** What a mount source is checked against. */
export interface HostPlaces {
  readonly repoRoot: string;
  /** The caller's directory: paths named by environment variables are relative to it. */
  readonly cwd: string;
  readonly commonDir: string;
  readonly lanesRoot: string;
  /** The caller's environment (DOCKER_HOST, XDG_RUNTIME_DIR name more engine sockets). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Where an engine's API socket usually is: a lane holding one controls the engine, and so the host. */
const ENGINE_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock', '/run/podman/podman.sock'];
/** The kernel's and the devices' views of the host. */
const KERNEL = ['/proc', '/sys', '/dev'];

export type SourceRefusal = 'missing' | 'engine-socket' | 'socket' | 'main-git' | 'lanes-root' | 'kernel' | 'not-file-or-dir';

/** A path the user named for a container cannot be lent to it. Exit 2: it is their configuration. */
export class UnsafeMountError extends IsolaneError {
  static override readonly errorClass: string = 'UnsafeMountError';
  constructor(where: string, message: string, readonly reason: SourceRefusal, hint: string) {
    super('CONFIG', `${where}: ${message}`, { hint, data: { reason } });
  }
}

const realOrResolved = async (p: string): Promise<string> => fsp.realpath(p).catch(() => path.resolve(p));

/** The places no mount source may be, hold or lie inside, each with the reason in words. */
async function forbidden(places: HostPlaces): Promise<Array<{ path: string; reason: SourceRefusal; why: string }>> {
  const sockets = [...ENGINE_SOCKETS];
  const host = places.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) sockets.push(host.slice('unix://'.length));
  if (places.env.XDG_RUNTIME_DIR) sockets.push(path.join(places.env.XDG_RUNTIME_DIR, 'docker.sock'));
  const out: Array<{ path: string; reason: SourceRefusal; why: string }> = [];
  const git = "the main repository's .git (a lane that can read it sees every branch; one that can write it plants hooks that run on the host)";
  for (const p of [places.commonDir, path.join(places.repoRoot, '.git')]) out.push({ path: await realOrResolved(p), reason: 'main-git', why: git });
  out.push({ path: await realOrResolved(places.lanesRoot), reason: 'lanes-root', why: "the lanes root (every other lane's checkout)" });
  for (const s of sockets) {
    out.push({ path: await realOrResolved(s), reason: 'engine-socket', why: `the container engine's socket ${s} (a lane holding it controls the engine, and through it the host)` });
  }
  for (const k of KERNEL) out.push({ path: k, reason: 'kernel', why: `${k}, the kernel's view of the host` });
  return out;
}

/**
 * Resolves `raw` (relative to the repository root) to the real path Docker will mount, and
 * refuses what must never reach a lane: the main `.git`, the lanes root, an engine's socket, the
 * kernel's views, any socket or device. Symlinks are resolved first, so a link is judged by what
 * it points at, and Docker is given the resolved path.
 */
export async function checkSource(raw: string, places: HostPlaces, where: string): Promise<{ path: string; stat: Stats }> {
  const named = path.resolve(places.repoRoot, raw);
  let real: string;
  let stat: Stats;
  try {
    real = await fsp.realpath(named);
    stat = await fsp.stat(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new UnsafeMountError(where, `${named} cannot be mounted: ${code === 'ENOENT' ? 'it does not exist' : code}`, 'missing', 'create it, or fix the path (relative paths start at the repository root)');
  }
  const shown = real === named ? named : `${named} (${real})`;
  for (const f of await forbidden(places)) {
    if (overlaps(real, f.path)) {
      const how = real === f.path ? 'is' : isInside(real, f.path) ? 'lies inside' : 'holds';
      throw new UnsafeMountError(where, `${shown} ${how} ${f.why}; isolane never mounts it into a lane`, f.reason, 'mount a narrower path, or remove the entry');
    }
  }
  if (stat.isSocket()) {
    throw new UnsafeMountError(where, `${shown} is a socket: whatever serves it would take orders from the lane`, 'socket', 'remove the entry; lanes reach host services over the network (container.network: bridge)');
  }
  if (!stat.isFile() && !stat.isDirectory()) {
    throw new UnsafeMountError(where, `${shown} is neither a file nor a directory`, 'not-file-or-dir', 'mount a regular file or a directory');
  }
  return { path: real, stat };
}

export interface MountSetting {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/**
 * `container.mounts` as Docker gets them, every source checked (checkSource) before any Docker
 * call. Targets were checked by the schema; here only against the main object store, which is
 * mounted at its own host path.
 */
export async function resolveMounts(mounts: readonly MountSetting[], places: HostPlaces, where: (keys: readonly string[]) => string): Promise<BindMount[]> {
  const objects = path.join(places.commonDir, 'objects');
  const out: BindMount[] = [];
  for (const [i, m] of mounts.entries()) {
    const key = ['container', 'mounts', String(i)];
    if (overlaps(m.target, objects)) {
      throw new UnsafeMountError(where([...key, 'target']), `${m.target} overlaps ${objects}, where the main object store is mounted`, 'main-git', 'choose another target');
    }
    const { path: source } = await checkSource(m.source, places, where([...key, 'source']));
    out.push({ source, target: m.target, readOnly: m.readOnly });
  }
  return out;
}
