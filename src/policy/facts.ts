import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { plugins, type StrategyName } from '../../strategies/index.js';
import { NEEDS, type Need, type ProbeResult, type StrategyPlugin } from '../../strategies/strategy.js';
import type { Project } from '../engine/project.js';
import { configuredCaps } from '../limits/confine.js';
import { probeCgroups } from '../limits/probe.js';
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

/** Entries in a git index, from its 12-byte header ("DIRC", version, count): no git process, no parsing. */
export async function indexEntries(indexFile: string): Promise<number | undefined> {
  const handle = await fsp.open(indexFile, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const header = Buffer.alloc(12);
    const { bytesRead } = await handle.read(header, 0, 12, 0);
    return bytesRead === 12 && header.toString('latin1', 0, 4) === 'DIRC' ? header.readUInt32BE(8) : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * What the policy needs to know of this host and repository, gathered now: every strategy's own
 * probe among it. `look`: for a command that only reads, so no probe writes anything.
 */
export async function gatherFacts(project: Project, look = false): Promise<PolicyFacts> {
  const all = plugins();
  const probe = async (p: StrategyPlugin<StrategyName, unknown>): Promise<[StrategyName, ProbeResult]> => [
    p.name,
    await p.probe(project.probeKit(p.name, look)).catch((e: unknown) => ({ available: false, reason: e instanceof Error ? e.message : String(e) })),
  ];
  // Host lanes are capped by cgroups: whether that works here decides their resource-limits.
  const cgroups = await probeCgroups();
  const host = { cgroups: { available: cgroups.available, ...(cgroups.reason ? { reason: cgroups.reason } : {}), ...(cgroups.detail ? { detail: cgroups.detail } : {}) }, configured: configuredCaps(project) !== undefined };
  const withheld: PolicyFacts['withheld'] = {};
  const variants: Record<string, string> = {};
  for (const p of all) {
    const settings = project.config[p.name];
    variants[p.name] = p.variant(settings);
    const held = NEEDS.flatMap((n): Array<[Need, string]> => {
      const why = p.withholds?.(n, settings, host);
      return why ? [[n, why]] : [];
    });
    if (held.length > 0) withheld[p.name] = Object.fromEntries(held);
  }
  const [probes, free, stored, tracked] = await Promise.all([
    Promise.all(all.map(probe)),
    freeBytes(project.lanesRoot),
    readStoredDisk(project.stateDir, variants),
    indexEntries(path.join(project.repo.commonDir, 'index')),
  ]);
  return {
    probes: Object.fromEntries(probes),
    cgroups: host.cgroups,
    withheld,
    trackedFiles: tracked,
    cores: os.availableParallelism(),
    freeDiskBytes: free,
    diskPerLane: stored?.diskPerLane ?? {},
    benchedAt: stored?.createdAt,
  };
}
