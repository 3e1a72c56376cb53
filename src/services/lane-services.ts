import type { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';
import { tryAcquireLock, type HeldLock } from '../fs/lock.js';
import { realDirectory } from '../fs/safe-read.js';
import { laneServicesDir, serviceFile } from './paths.js';
import type { ServiceConfig } from './schema.js';
import { SERVICE_NAME } from './service-name.js';

/**
 * The services a command acts on: one named (checked against the allowlist, then isolane.yaml)
 * or all of isolane.yaml's, in its order.
 */
export function chooseServices(project: Project, only: string | undefined): Array<[string, ServiceConfig]> {
  const all = Object.entries(project.config.services);
  if (only !== undefined) {
    if (!SERVICE_NAME.test(only)) {
      throw new IsolaneError('USAGE', `not a service name: ${JSON.stringify(only)}`, { hint: 'a service name is 1-30 of a-z, 0-9 and -, starting with a letter' });
    }
    const found = all.find(([name]) => name === only);
    if (!found) {
      throw new IsolaneError('USAGE', `no service named ${only} in ${project.configFile ?? 'isolane.yaml'}`, {
        hint: all.length > 0 ? `its services: ${all.map(([n]) => n).join(', ')}` : 'declare it under services: in isolane.yaml',
        data: { service: only },
      });
    }
    return [found];
  }
  if (all.length === 0) {
    throw new IsolaneError('USAGE', `${project.configFile ?? 'isolane.yaml'} declares no services`, {
      hint: 'add a services: section, e.g. services: { web: { run: [npm, run, dev], port: web, ready: { http: / } } }',
    });
  }
  return all;
}

/** The lock of one service's state (start, stop and watch change it one at a time). */
export async function lockService(project: Project, lane: string, service: string, timeoutMs = project.ctx.lockTimeoutMs): Promise<HeldLock | undefined> {
  // A real directory: a worktree lane can write in .git, and a symlink there must not take the lock, log and state elsewhere.
  await realDirectory(laneServicesDir(project.stateDir, lane), 0o700);
  return tryAcquireLock(serviceFile(project.stateDir, lane, service, 'lock'), { timeoutMs, clock: project.ctx, ...(project.ctx.signal ? { signal: project.ctx.signal } : {}) });
}

export async function withServiceLock<T>(project: Project, lane: string, service: string, fn: () => Promise<T>): Promise<T> {
  const lock = await lockService(project, lane, service);
  if (!lock) {
    throw new IsolaneError('LOCK_TIMEOUT', `service ${service} of lane ${lane} is busy: another isolane process has held it for ${project.ctx.lockTimeoutMs} ms`, {
      hint: 'wait for that start, stop or watch restart to finish, then retry',
    });
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
