import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { stringify } from 'yaml';
import { pluginOf, STRATEGIES, type StrategyName } from '../../strategies/index.js';
import type { BenchVariant, RawEquivalent } from '../../strategies/strategy.js';
import { Isolane } from '../../src/index.js';
import { paired, type PairedResult } from '../paired.js';
import type { BenchEnv } from '../env.js';
import { diskOf } from '../lane-disk.js';
import { rawGit } from '../raw-git.js';

export { BENCH_LABEL } from '../../strategies/container.js';

/** One variant of a strategy as isolane runs it, and the same job done with the raw tools (its plug-in's `bench`). */
export interface Contender {
  readonly label: string;
  readonly strategy: StrategyName;
  /** The isolane.yaml of its lanes. */
  readonly yaml: string;
  readonly raw: RawEquivalent;
  /** Its lanes share the main repository's refs and objects: one fetch there serves them all. */
  readonly sharesFetch: boolean;
  readonly agents?: BenchVariant['agents'];
  readonly keepsOneLane?: boolean;
}

export interface StrategyResult {
  readonly label: string;
  readonly create: PairedResult;
  readonly destroy: PairedResult;
  /** Filesystem blocks used per lane (walked: each inode once, shared objects left out) and apparent bytes. */
  readonly disk: { readonly fsBytes: number; readonly apparentBytes: number; readonly lanes: number };
}

export const benchTag = (e: BenchEnv): string => path.basename(path.dirname(e.root));

/** isolane.yaml for a strategy and its settings section. */
export const yamlFor = (strategy: string, settings: Readonly<Record<string, unknown>> | undefined): string =>
  stringify(settings ? { strategy, [strategy]: settings } : { strategy });

/**
 * Every registered strategy's bench variants beside their raw equivalents, or why a strategy
 * cannot be measured here (no engine, no image, no way to mount).
 */
export async function contenders(e: BenchEnv, images: { image: string; agentImage: string }, only?: readonly StrategyName[]): Promise<{ contenders: Contender[]; skipped: Array<{ strategy: StrategyName; reason: string }> }> {
  const places = {
    root: e.root,
    // Where isolane's clone lanes come from: the upstream when the bench has one, as raw clones do.
    source: e.upstream ?? e.root,
    scratch: e.rawRoot,
    env: e.env,
    tag: benchTag(e),
    ...images,
    git: (args: readonly string[], cwd = e.root): Promise<void> => rawGit(cwd, args, e.env),
  };
  const found: Contender[] = [];
  // In the registry's order, as the reports list them.
  // Only the plug-ins asked about: a strategy's bench probes its host (an engine, a mount).
  const registered = STRATEGIES.map((s) => pluginOf(s.name)).filter((p) => p !== undefined).filter((p) => only === undefined || only.includes(p.name));
  const skipped: Array<{ strategy: StrategyName; reason: string }> = [];
  for (const plugin of registered) {
    const variants = await plugin.bench(places);
    if ('skipped' in variants) {
      skipped.push({ strategy: plugin.name, reason: variants.skipped });
      continue;
    }
    for (const v of variants) {
      found.push({
        label: v.label,
        strategy: plugin.name,
        yaml: yamlFor(plugin.name, v.settings),
        raw: v.raw,
        sharesFetch: !plugin.gives.includes('own-remote'),
        ...(v.agents ? { agents: v.agents } : {}),
        ...(v.keepsOneLane ? { keepsOneLane: true } : {}),
      });
    }
  }
  return { contenders: found, skipped };
}

/** Create and destroy latency of one contender's lanes beside its raw equivalent, interleaved round by round. */
export async function lifecycle(e: BenchEnv, c: Contender, iso: Isolane): Promise<{ create: PairedResult; destroy: PairedResult }> {
  const lane = (kind: string, i: number): string => `${kind}-${c.strategy}-${i}`;
  const rawDir = (kind: string, i: number): string => path.join(e.rawRoot, `raw-${kind}-${c.strategy}-${i}`);
  // A lane kept through the rounds, on both sides: what lanes cost while another shares their start.
  const keeper = c.keepsOneLane ? lane('keep', 0) : undefined;
  if (keeper) {
    await iso.up(keeper);
    await c.raw.create(rawDir('keep', 0), 30_000);
  }
  try {
    return await cycles(e, c, iso, lane, rawDir);
  } finally {
    if (keeper) {
      await iso.down(keeper, { force: true });
      await c.raw.destroy(rawDir('keep', 0), 30_000);
    }
  }
}

async function cycles(e: BenchEnv, c: Contender, iso: Isolane, lane: (kind: string, i: number) => string, rawDir: (kind: string, i: number) => string): Promise<{ create: PairedResult; destroy: PairedResult }> {
  const create = await paired(
    { name: 'isolane up', fn: async (i) => void (await iso.up(lane('c', i))), after: async (i) => void (await iso.down(lane('c', i), { force: true })) },
    { name: c.raw.name, fn: (i) => c.raw.create(rawDir('c', i), i), after: (i) => c.raw.destroy(rawDir('c', i), i) },
    { rounds: e.rounds, onRound: (i) => e.onRound?.(`${c.label} create`, i) },
  );
  // Both sides remove safely: a lane with uncommitted work would be refused by either.
  const destroy = await paired(
    { name: 'isolane down', before: async (i) => void (await iso.up(lane('d', i))), fn: async (i) => void (await iso.down(lane('d', i))) },
    { name: c.raw.name, before: (i) => c.raw.create(rawDir('d', i), i + 10_000), fn: (i) => c.raw.destroy(rawDir('d', i), i + 10_000) },
    { rounds: e.rounds, onRound: (i) => e.onRound?.(`${c.label} destroy`, i) },
  );
  return { create, destroy };
}

/** The table of `npm run bench`: create/destroy against the raw tools and disk, per strategy. */
export async function strategyTable(e: BenchEnv, docker: Docker | undefined, images: { image: string; agentImage: string }): Promise<{ results: StrategyResult[]; skipped: string[] }> {
  const results: StrategyResult[] = [];
  const yamlFile = path.join(e.root, 'isolane.yaml');
  const all = await contenders(e, images);
  for (const c of all.contenders) {
    await fsp.writeFile(yamlFile, c.yaml);
    const iso = await Isolane.open({ cwd: e.root, env: e.env });
    const { create, destroy } = await lifecycle(e, c, iso);
    await c.raw.cleanup?.();
    // Disk: several lanes at once, so one-off effects (a new pack, a journal) are spread out.
    const lanes = ['disk-0', 'disk-1', 'disk-2'];
    const disk = await diskOf(e, iso, lanes, docker);
    for (const lane of lanes) await iso.down(lane, { force: true });
    results.push({ label: c.label, create, destroy, disk: { fsBytes: disk.fsBytesPerLane, apparentBytes: disk.apparentBytesPerLane, lanes: disk.lanes } });
  }
  await fsp.rm(yamlFile, { force: true });
  return { results, skipped: all.skipped.map((k) => `${k.strategy} strategy not measured: ${k.reason}`) };
}
