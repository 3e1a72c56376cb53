import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import type { StrategyName } from '../../strategies/index.js';

/** Where `isolane bench` keeps its latest results in a repository's isolane state. */
export function benchResultsFile(stateDir: string): string {
  return path.join(stateDir, 'bench', 'latest.json');
}

/** The part of stored bench results the policy reads; the rest is the report's. */
const storedSchema = z.looseObject({
  version: z.literal(1),
  createdAt: z.string(),
  /** Scenarios that failed: such a run holds no figure to decide by. */
  failures: z.array(z.unknown()).optional(),
  strategies: z.array(
    z.looseObject({
      strategy: z.string(),
      label: z.string(),
      disk: z.looseObject({ many: z.looseObject({ fsBytesPerLane: z.number().nonnegative() }) }),
    }),
  ),
});

export interface StoredDisk {
  readonly createdAt: string;
  readonly diskPerLane: Partial<Record<StrategyName, number>>;
}

/**
 * Disk per lane of each strategy from the latest bench of this repository: the measurement of the
 * variant its settings make now (`variants`, e.g. clone: "clone (blobless)"). Missing or unreadable
 * results: undefined (the policy then says disk was not checked); a file of another version, or of
 * a run in which a scenario failed, is ignored, not trusted.
 */
export async function readStoredDisk(stateDir: string, variants: Readonly<Record<string, string>>): Promise<StoredDisk | undefined> {
  const text = await fsp.readFile(benchResultsFile(stateDir), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let parsed: z.infer<typeof storedSchema>;
  try {
    parsed = storedSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
  if ((parsed.failures ?? []).length > 0) return undefined;
  const diskPerLane: Partial<Record<StrategyName, number>> = {};
  for (const s of parsed.strategies) {
    if (Object.hasOwn(variants, s.strategy) && variants[s.strategy] === s.label) diskPerLane[s.strategy as StrategyName] = s.disk.many.fsBytesPerLane;
  }
  return { createdAt: parsed.createdAt, diskPerLane };
}

/** Writes results atomically, so a policy reading at the same time sees the old or the new file. */
export async function storeBenchResults(stateDir: string, results: unknown): Promise<string> {
  const file = benchResultsFile(stateDir);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(temp, `${JSON.stringify(results, null, 2)}\n`);
  await fsp.rename(temp, file);
  return file;
}
