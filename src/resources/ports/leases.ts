import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../../errors.js';
import { lstatOrUndefined } from '../../fs/safe-read.js';
import type { Project } from '../../engine/project.js';
import { bindable } from './bindable.js';
import { leaseFile, readLeases, writeLeases, type PortLease } from './lease-file.js';
import { formatRange, type PortRange } from './range.js';

/**
 * Leases one port per name to a lane, all or none, under the repository lock: concurrent
 * isolane processes never hand out one port twice. Before choosing, leases of lanes that no
 * longer exist (no journal record) are reclaimed, and leases that records hold but the file lost
 * are taken back in. Each chosen port really binds here; ports others listen on are skipped.
 */
export async function leasePorts(project: Project, lane: string, names: readonly string[], range: PortRange): Promise<Record<string, number>> {
  return project.withRepoLock(async () => {
    const file = leaseFile(project.stateDir);
    await removeStaleTemps(file);
    const leases = await liveLeases(project, await readLeases(file));
    const mine = leases.filter((l) => l.lane === lane);
    const others = leases.filter((l) => l.lane !== lane);
    const taken = new Set(others.map((l) => l.port));
    const chosen: Record<string, number> = {};
    const at = project.ctx.now().toISOString();
    const fresh: PortLease[] = [];
    // A lane keeps a port it already holds under that name (a repeated reserve is idempotent).
    for (const name of names) {
      const held = mine.find((l) => l.name === name && l.port >= range.low && l.port <= range.high);
      if (held) {
        chosen[name] = held.port;
        taken.add(held.port);
        fresh.push(held);
      }
    }
    let next = range.low;
    for (const name of names) {
      if (chosen[name] !== undefined) continue;
      while (next <= range.high && (taken.has(next) || !(await bindable(next)))) next++;
      if (next > range.high) throw exhausted(range, names.length, others, fresh.length, project.where(['ports', 'range']));
      chosen[name] = next;
      taken.add(next);
      fresh.push({ port: next, lane, name, at });
      next++;
    }
    await writeLeases(file, [...others, ...fresh]);
    return chosen;
  });
}

/** Drops every lease of the lane; idempotent (a lane that held none, or a file that is gone). */
export async function releasePorts(project: Project, lane: string): Promise<void> {
  const file = leaseFile(project.stateDir);
  // No lease was ever made in this repository: nothing to lock for (lanes of projects without ports).
  if (!(await lstatOrUndefined(file))) return;
  await project.withRepoLock(async () => {
    const leases = await readLeases(file);
    if (!leases.some((l) => l.lane === lane)) return;
    await writeLeases(file, leases.filter((l) => l.lane !== lane));
  });
}

/** Every lease as the file says (a look: no lock, nothing reclaimed). */
export async function listLeases(project: Project): Promise<PortLease[]> {
  return readLeases(leaseFile(project.stateDir));
}

/** The leases of lanes that still have a record, plus those records hold that the file lacks. */
async function liveLeases(project: Project, leases: readonly PortLease[]): Promise<PortLease[]> {
  const { records, corrupt } = await project.journal.list();
  const lanes = new Set([...records.map((r) => r.lane), ...corrupt.map((c) => c.lane)]);
  const live = leases.filter((l) => lanes.has(l.lane));
  const known = new Set(live.map((l) => `${l.lane}\0${l.name}`));
  for (const r of records) {
    for (const [name, port] of Object.entries(r.resources?.ports ?? {})) {
      if (!known.has(`${r.lane}\0${name}`) && !live.some((l) => l.port === port)) live.push({ port, lane: r.lane, name, at: r.createdAt });
    }
  }
  return live;
}

/** Temp files a killed writer left; under the repository lock every one is stale. */
async function removeStaleTemps(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => fsp.rm(path.join(dir, n), { force: true })));
}

function exhausted(range: PortRange, wanted: number, holders: readonly PortLease[], chosen: number, where: string): IsolaneError {
  const inRange = holders.filter((l) => l.port >= range.low && l.port <= range.high);
  const byLane = new Map<string, number[]>();
  for (const l of inRange) byLane.set(l.lane, [...(byLane.get(l.lane) ?? []), l.port]);
  const held = [...byLane].map(([lane, ports]) => `${lane} (${ports.join(', ')})`);
  const size = range.high - range.low + 1;
  return new IsolaneError('PORTS_EXHAUSTED', `no free port left in ${formatRange(range)} for ${wanted} name${wanted === 1 ? '' : 's'}: ${inRange.length} of its ${size} ports are leased${held.length > 0 ? ` to ${held.join(', ')}` : ''}${chosen > 0 ? `, ${chosen} chosen for this lane` : ''}; the other ${size - inRange.length - chosen} are in use by other processes`, {
    hint: `widen ${where}, or free ports with \`isolane down <lane>\` (\`isolane ports\` lists the leases)`,
    data: { range: formatRange(range), leases: inRange },
  });
}
