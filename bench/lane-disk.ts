import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { LABEL_LANE, LABEL_REPO } from '../strategies/container.js';
import type { Isolane } from '../src/index.js';
import type { BenchEnv } from './env.js';
import { DiskTally, laneRoots, linkedInodes } from '../src/lane/disk-walk.js';
import { withCleanup } from './failure.js';
import { bytes } from './reports/format.js';
import type { DiskMeasure } from './results.js';

const execFileP = promisify(execFile);

/** Walked and statfs figures further apart than this (of the larger) earn a note. */
const DISAGREEMENT = 0.2;

/** Used bytes of the filesystem under `dir`, after flushing it (ext4 allocates blocks at writeback). */
export async function fsUsed(dir: string): Promise<number> {
  await execFileP('sync', ['-f', dir], { timeout: 120_000 });
  const s = await fsp.statfs(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

/**
 * Bytes in the writable layers of the containers `filters` selects and `keep` accepts (0 without
 * an engine). The engine measures them on request: cheap for a few containers.
 */
async function writableLayers(docker: Docker | undefined, filters: Record<string, string[]>, keep: (labels: Record<string, string>) => boolean = () => true): Promise<number> {
  if (!docker) return 0;
  const found = await docker.listContainers({ all: true, size: true, filters });
  // The engine adds SizeRw when asked for sizes; the type does not list it.
  return found.filter((c) => keep(c.Labels)).reduce((sum, c) => sum + ((c as { SizeRw?: number }).SizeRw ?? 0), 0);
}

/** Counts lanes' own blocks: inodes shared with the main repository's object store are left out. */
async function tally(e: BenchEnv): Promise<DiskTally> {
  return new DiskTally(await linkedInodes([path.join(e.root, '.git', 'objects')]));
}

/** The note a measure carries when statfs disagrees with the walk (other processes wrote meanwhile). */
export function disagreement(walked: number, statfs: number): string | undefined {
  const larger = Math.max(walked, statfs);
  if (larger === 0 || Math.abs(walked - statfs) <= DISAGREEMENT * larger) return undefined;
  return `statfs says ${bytes(statfs)} per lane, the walk ${bytes(walked)}: more than ${DISAGREEMENT * 100}% apart, so something else wrote to or freed space on this filesystem meanwhile (the walked figure is the one reported and used)`;
}

/**
 * Makes `lanes` (left up for the caller) and measures the disk they take: the blocks of their
 * own files (walked; see DiskMeasure) and, as a cross-check, the filesystem's used blocks before
 * and after; and one lane's apparent size.
 */
export async function diskOf(e: BenchEnv, iso: Isolane, lanes: readonly string[], docker?: Docker): Promise<DiskMeasure> {
  const before = await fsUsed(e.root);
  for (const lane of lanes) await iso.up(lane);
  const statfs = Math.max(0, (await fsUsed(e.root)) - before) / Math.max(1, lanes.length);
  const counted = await tally(e);
  let allocated = 0;
  let apparent = 0;
  for (const [i, lane] of lanes.entries()) {
    const walked = await counted.add(await laneRoots(iso.project.lanePath(lane)));
    allocated += walked.allocatedBytes;
    if (i === 0) apparent = walked.apparentBytes;
  }
  allocated += await writableLayers(docker, { label: [`${LABEL_REPO}=${iso.project.repo.id}`] }, (labels) => lanes.includes(labels[LABEL_LANE] ?? ''));
  const perLane = allocated / Math.max(1, lanes.length);
  const note = disagreement(perLane, statfs);
  return { lanes: lanes.length, fsBytesPerLane: perLane, apparentBytesPerLane: apparent, statfsBytesPerLane: statfs, ...(note ? { disagreement: note } : {}) };
}

/** The raw side of one contender: how to make and remove one lane, and where its container's layer is. */
export interface RawLane {
  create(dir: string, i: number): Promise<void>;
  destroy(dir: string, i: number): Promise<void>;
  /** Filters selecting the container of raw lane i, for container contenders. */
  containerFilters?(i: number): Record<string, string[]>;
}

/** Blocks one lane made by the raw tools takes, counted as diskOf counts them (made, measured, removed). */
export async function rawDisk(e: BenchEnv, raw: RawLane, strategy: string, docker?: Docker): Promise<number> {
  const dir = path.join(e.rawRoot, `raw-disk-${strategy}`);
  const i = 20_000;
  await raw.create(dir, i);
  return withCleanup(
    async () => {
      const walked = await (await tally(e)).add(await laneRoots(dir));
      const layer = raw.containerFilters ? await writableLayers(docker, raw.containerFilters(i)) : 0;
      return walked.allocatedBytes + layer;
    },
    () => raw.destroy(dir, i),
  );
}
