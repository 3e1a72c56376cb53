import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Project } from '../engine/project.js';
import { readStoredDisk } from './bench-store.js';
import type { PolicyFacts } from './evaluate.js';

/** Free bytes for an unprivileged user on the filesystem that holds `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<number | undefined> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const s = await fsp.statfs(at).catch(() => undefined);
    if (s) return s.bavail * s.bsize;
    if (path.dirname(at) === at) return undefined;
  }
}

/** What the policy needs to know of this host and repository, gathered now. */
export async function gatherFacts(project: Project): Promise<PolicyFacts> {
  // Loaded here, not at the top: dockerode costs ~150 ms and most commands never need it.
  const { probeDocker } = await import('../docker/client.js');
  const mode = project.config.clone.mode;
  const [docker, free, stored] = await Promise.all([probeDocker(project.ctx), freeBytes(project.lanesRoot), readStoredDisk(project.stateDir, mode)]);
  return {
    docker: docker.available ? { available: true } : { available: false, ...(docker.reason ? { reason: docker.reason } : {}) },
    cores: os.availableParallelism(),
    freeDiskBytes: free,
    diskPerLane: stored?.diskPerLane ?? {},
    benchedAt: stored?.createdAt,
    cloneMode: mode,
  };
}
