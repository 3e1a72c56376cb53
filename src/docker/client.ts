import Docker from 'dockerode';
import { networkInterfaces } from 'node:os';
import type { Context } from '../context.js';

export interface DockerTarget {
  /** Human words for the engine isolane tried, e.g. "unix socket /var/run/docker.sock". */
  readonly describe: string;
  readonly options: Docker.DockerOptions;
  /**
   * The engine runs on this machine. Container lanes bind-mount host directories and signal the
   * host pid of a command: against an engine elsewhere the mounts would be empty directories
   * there and a signal would reach an unrelated process here.
   */
  readonly local: boolean;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Which engine to talk to: DOCKER_HOST from the caller's environment, else the default socket. */
export function dockerTarget(env: Readonly<Record<string, string | undefined>>): DockerTarget {
  const host = env.DOCKER_HOST;
  if (!host) return { describe: `unix socket ${DEFAULT_SOCKET}`, options: { socketPath: DEFAULT_SOCKET }, local: true };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || DEFAULT_SOCKET;
    return { describe: `unix socket ${socketPath} (DOCKER_HOST)`, options: { socketPath }, local: true };
  }
  let url: URL;
  try {
    url = new URL(host.replace(/^tcp:/, 'http:'));
  } catch {
    return { describe: `${host} (DOCKER_HOST, not an address isolane can read)`, options: {}, local: false };
  }
  return {
    describe: `${host} (DOCKER_HOST)`,
    options: { host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' },
    local: (url.protocol === 'http:' || url.protocol === 'https:') && isThisMachine(url.hostname),
  };
}

/** A loopback name or address, or an address of one of this machine's interfaces. */
function isThisMachine(hostname: string): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address.toLowerCase() === name));
}

/** Where isolane sends calls meant for an engine it refuses: nothing answers there, so every call fails as if no engine ran. */
const REFUSED_ENGINE = '/nonexistent/isolane-refuses-an-engine-elsewhere.sock';

export function dockerClient(ctx: Context): { docker: Docker; target: DockerTarget } {
  const target = dockerTarget(ctx.env);
  // An engine elsewhere is never talked to: its "no such container" would read as "gone" here.
  return { docker: new Docker(target.local ? target.options : { socketPath: REFUSED_ENGINE }), target };
}

/**
 * Is an engine reachable? Answers within `timeoutMs`, with a reason that names what was tried
 * and how to fix it. The container strategy's probe, and later the policy's.
 */
export async function probeDocker(ctx: Context, timeoutMs = 3_000): Promise<{ available: boolean; reason?: string }> {
  const { docker, target } = dockerClient(ctx);
  if (!target.local) {
    return {
      available: false,
      reason: `the Docker engine at ${target.describe} is not on this machine, and container lanes need one that is (they lend it host directories and signal host processes). Unset DOCKER_HOST, or set DOCKER_HOST to this machine's engine (unix:///var/run/docker.sock)`,
    };
  }
  try {
    // A ping, not `version`: the engine answers it without asking its runtimes (5 ms less per `up`).
    await Promise.race([
      docker.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { available: true };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      available: false,
      reason: `no Docker engine answered at ${target.describe}: ${why}. Start dockerd (or Docker Desktop), or set DOCKER_HOST to a reachable engine`,
    };
  }
}

export { dockerError } from './docker-error.js';
