import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Project } from '../engine/project.js';
import { configuredCaps } from './confine.js';
import { CGROUP_ROOT } from './probe.js';
import { laneSlice, repoSlice } from './systemd.js';

/**
 * Bytes of memory the lane's cgroup holds now (its processes' and their page cache), for `ls`;
 * undefined when the project caps nothing or the lane has no cgroup. Reads one file: v1's
 * memory.usage_in_bytes, v2's memory.current, or that of the lane's slice under the system
 * manager (a user manager's slices are not looked for).
 */
export async function laneMemoryUsage(project: Pick<Project, 'config' | 'repo'>, lane: string, root: string = CGROUP_ROOT): Promise<number | undefined> {
  if (!configuredCaps(project)) return undefined;
  const id = project.repo.id;
  const candidates = [
    path.join(root, 'memory', 'isolane', id, lane, 'memory.usage_in_bytes'),
    path.join(root, 'isolane', id, lane, 'memory.current'),
    path.join(root, 'isolane.slice', repoSlice(id), laneSlice(id, lane), 'memory.current'),
  ];
  for (const file of candidates) {
    const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
    const n = text === undefined ? Number.NaN : Number(text.trim());
    if (Number.isSafeInteger(n)) return n;
  }
  return undefined;
}
