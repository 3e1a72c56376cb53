import Docker from 'dockerode';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';

export interface DockerTarget {
  /** Human words for the engine isolane tried, e.g. "unix socket /var/run/docker.sock". */
  readonly describe: string;
  readonly options: Docker.DockerOptions;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Which engine to talk to: DOCKER_HOST from the caller's environment, else the default socket. */
export function dockerTarget(env: Readonly<Record<string, string | undefined>>): DockerTarget {
  const host = env.DOCKER_HOST;
  if (!host) return { describe: `unix socket ${DEFAULT_SOCKET}`, options: { socketPath: DEFAULT_SOCKET } };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || DEFAULT_SOCKET;
    return { describe: `unix socket ${socketPath} (DOCKER_HOST)`, options: { socketPath } };
  }
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return {
    describe: `${host} (DOCKER_HOST)`,
    options: { host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' },
  };
}

export function dockerClient(ctx: Context): { docker: Docker; target: DockerTarget } {
  const target = dockerTarget(ctx.env);
  return { docker: new Docker(target.options), target };
}

/**
 * Is an engine reachable? Answers within `timeoutMs`, with a reason that names what was tried
 * and how to fix it. The container strategy's probe, and later the policy's.
 */
export async function probeDocker(ctx: Context, timeoutMs = 3_000): Promise<{ available: boolean; reason?: string; version?: string }> {
  const { docker, target } = dockerClient(ctx);
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { available: true, version: version.Version };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      available: false,
      reason: `no Docker engine answered at ${target.describe}: ${why}. Start dockerd (or Docker Desktop), or set DOCKER_HOST to a reachable engine`,
    };
  }
}

export function dockerError(what: string, cause: unknown, hint?: string): IsolaneError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new IsolaneError('DOCKER_FAILED', `${what}: ${message}`, { cause, ...(hint ? { hint } : {}) });
}
