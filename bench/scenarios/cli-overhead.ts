import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createContext } from '../../src/context.js';
import { Isolane } from '../../src/index.js';
import type { BenchEnv } from '../env.js';
import { paired, type PairedResult, type Side } from '../paired.js';
import { rawGit, rawNode } from '../raw-git.js';
import type { CliOverhead, CliOverheadRow, StrategyName } from '../results.js';
import { removeContainers } from '../leftovers.js';
import { scratchFs } from '../scratch-fs.js';
import { CLI } from './lane-cycle.js';
import { BENCH_LABEL, contenders, yamlFor, type Contender } from './strategies.js';

/** The bound on every row: isolane's cost over Node's start-up plus the raw commands. */
export const CLI_GOAL = 1.3;
/** Strategies whose `up` and `down` the scenario measures (snapshot has goals of its own). */
const CLI_STRATEGIES: readonly StrategyName[] = ['worktree', 'clone', 'container'];
/** At most this share of the free memory (tmpfs) or disk goes to the lanes of `ls` over many lanes. */
const SPACE_SHARE = 0.25;

export interface CliOverheadOptions {
  /** The repository to copy (a path git can clone): the bench's upstream, or its repository. */
  readonly source: string;
  /** Environment of git and isolane: the bench's own HOME, no system config. */
  readonly env: Readonly<Record<string, string>>;
  /** A directory of the bench's own; the scratch filesystem is mounted in it. */
  readonly work: string;
  readonly rounds: number;
  /** Lanes of the `ls` over many lanes (fewer when the space would not hold them: a note says so). */
  readonly lanes: number;
  /** Of these, worktree, clone and container get `up` and `down` rows. */
  readonly strategies: readonly StrategyName[];
  /** Per strategy, the variant to measure (its plug-in's `variant`: "clone (blobless)"); default: its default. */
  readonly variants?: Readonly<Record<string, string>>;
  readonly images: { readonly image: string; readonly agentImage: string };
  /** Measure on a tmpfs of the bench's own when this process may mount one (default true). */
  readonly tmpfs?: boolean;
  readonly onStep?: (step: string) => void;
}

/** Used bytes of the filesystem under `dir` (tmpfs allocates at once; the disk's figure is a bound). */
async function used(dir: string): Promise<number> {
  const s = await fsp.statfs(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

async function room(dir: string, tmpfs: boolean): Promise<number> {
  if (tmpfs) return os.freemem();
  const s = await fsp.statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Each command as users call it, through bin/isolane.js (a Node process), beside Node's start-up
 * (`node -e 0`) plus the raw commands that do the same job, interleaved pair by pair: --version,
 * path, ls over 1 lane and over many, and up and down of worktree, clone and container lanes.
 * Everything (a copy of the repository, its lanes, the raw side's, TMPDIR) is on a tmpfs when
 * this process may mount one, so the figures are isolane's cost, not the disk's.
 */
export async function cliOverhead(opts: CliOverheadOptions): Promise<CliOverhead> {
  const say = opts.onStep ?? (() => undefined);
  const scratch = await scratchFs(opts.work, opts.env, { tmpfs: opts.tmpfs ?? true });
  const tag = path.basename(opts.work);
  let lib: Isolane | undefined;
  try {
    // Under a directory named as the work directory: the raw side labels its containers with that
    // name (benchTag), which is how the bench's clean-up finds what a failed run left.
    const home = path.join(scratch.dir, tag);
    const upstream = path.join(home, 'upstream.git');
    const root = path.join(home, 'repo');
    const tmp = path.join(home, 'tmp');
    const rawRoot = path.join(home, 'raw.lanes');
    await fsp.mkdir(tmp, { recursive: true });
    await fsp.mkdir(rawRoot);
    const env = { ...opts.env, TMPDIR: tmp };
    say('CLI overhead: copying the repository');
    const git = (cwd: string, args: readonly string[]) => execa('git', [...args], { cwd, env, extendEnv: false, timeout: 30 * 60_000 });
    await git(home, ['clone', '--quiet', '--bare', '--no-local', '--', opts.source, upstream]);
    await git(home, ['clone', '--quiet', '--', upstream, root]);
    const e: BenchEnv = { root, upstream, lanesRoot: `${root}.lanes`, rawRoot, env, rounds: opts.rounds };
    const yaml = path.join(root, 'isolane.yaml');
    const isolane = (args: readonly string[]): Promise<void> => rawNode([CLI, ...args], root, env);
    const node0 = (): Promise<void> => rawNode(['-e', '0'], root, env);
    const measure = async (command: string, a: Side['fn'], b: Side, more: { rounds?: number; aBefore?: Side['before']; aAfter?: Side['after'] } = {}): Promise<PairedResult> => {
      say(`CLI overhead: ${command}`);
      return paired(
        { name: command, fn: a, ...(more.aBefore ? { before: more.aBefore } : {}), ...(more.aAfter ? { after: more.aAfter } : {}) },
        b,
        { rounds: more.rounds ?? opts.rounds, cpu: true, onRound: (i) => say(`CLI overhead: ${command}, round ${i}`) },
      );
    };
    const rows: CliOverheadRow[] = [];
    const notes: string[] = [];
    const judged = (command: string, result: PairedResult, basis: 'time' | 'cpu' = 'time', lanes?: number): CliOverheadRow => {
      const ratio = basis === 'cpu' ? (result.cpu?.ratio.p50 ?? Number.NaN) : result.ratio.p50;
      return { command, basis, result, goal: CLI_GOAL, ratio, met: ratio <= CLI_GOAL, ...(lanes === undefined ? {} : { lanes }) };
    };

    await fsp.writeFile(yaml, yamlFor('worktree', undefined));
    const before = await used(scratch.dir);
    await isolane(['up', 'one']);
    const laneBytes = Math.max(1, (await used(scratch.dir)) - before);
    lib = await Isolane.open({ cwd: root, env });
    const onePath = lib.project.lanePath('one');

    // Cheap commands: twice the rounds, as one pair says little about a 40 ms process.
    const cheap = opts.rounds * 2;
    rows.push(judged('isolane --version', await measure('isolane --version', () => isolane(['--version']), { name: 'node -e 0', fn: node0 }, { rounds: cheap })));
    rows.push(judged('isolane path <lane>', await measure('isolane path <lane>', () => isolane(['path', 'one']), { name: 'node -e 0', fn: node0 }, { rounds: cheap })));
    const rawLs = (paths: readonly string[]) => async (): Promise<void> => {
      await node0();
      await rawGit(root, ['worktree', 'list', '--porcelain'], env);
      for (const p of paths) await rawGit(p, ['status', '--porcelain'], env);
    };
    rows.push(judged('isolane ls, 1 lane', await measure('isolane ls, 1 lane', () => isolane(['ls']), { name: 'node -e 0 + git worktree list + git status', fn: rawLs([onePath]) }, { rounds: cheap })));

    const wanted = CLI_STRATEGIES.filter((s) => opts.strategies.includes(s));
    const all = await contenders(e, opts.images, wanted);
    for (const strategy of wanted) {
      const skipped = all.skipped.find((k) => k.strategy === strategy);
      if (skipped) {
        notes.push(`${strategy}: up and down not measured: ${skipped.reason}`);
        continue;
      }
      const c = pick(all.contenders, strategy, opts.variants?.[strategy]);
      if (!c) continue;
      await fsp.writeFile(yaml, c.yaml);
      rows.push(...(await upDown(c, isolane, node0, measure, judged, rawRoot)));
      await c.raw.cleanup?.();
    }

    // ls over many lanes: as many as the space holds, made through the library (quicker, the same lanes).
    await fsp.writeFile(yaml, yamlFor('worktree', undefined));
    const fits = Math.floor((SPACE_SHARE * (await room(scratch.dir, scratch.tmpfs))) / laneBytes);
    const n = Math.max(2, Math.min(opts.lanes, fits));
    if (n < opts.lanes) notes.push(`ls over ${n} lanes, not ${opts.lanes}: ${opts.lanes} lanes of this repository would take more than ${SPACE_SHARE * 100}% of the free ${scratch.tmpfs ? 'memory' : 'disk'}`);
    const many = Array.from({ length: n - 1 }, (_, i) => `many-${i + 1}`);
    for (const [i, lane] of many.entries()) {
      say(`CLI overhead: making lane ${i + 2} of ${n} for ls`);
      await lib.up(lane);
    }
    const paths = [onePath, ...many.map((l) => lib?.project.lanePath(l) ?? l)];
    const command = `isolane ls, ${n} lanes`;
    rows.push(judged(command, await measure(command, () => isolane(['ls']), { name: `node -e 0 + git worktree list + ${n} x git status`, fn: rawLs(paths) }), 'cpu', n));

    notes.push(
      ...(scratch.note ? [scratch.note] : []),
      `each row: median of ${opts.rounds} per-pair ratios (${cheap} for --version, path and ls of 1 lane), interleaved A B, B A, ...; goal: <= ${CLI_GOAL}x; below 0.95x a ratio is noise (isolane runs the raw commands and more)`,
      `CPU: user + system of the child processes (and of the bench's own in-process work) per call, means; ${command} is judged by CPU per lane (isolane reads 8 lanes at a time, the raw side one after another, so wall time would flatter it)`,
      ...(opts.strategies.includes('container') && rows.some((r) => r.command.includes('container')) ? ["container rows: the Docker daemon's CPU is counted on neither side"] : []),
    );
    return { filesystem: scratch.filesystem, tmpfs: scratch.tmpfs, rows, notes };
  } finally {
    // No progress step here: after a signal, a step throws, and this clean-up must run whole.
    try {
      if (lib) for (const lane of await lib.list()) await lib.down(lane.lane, { force: true });
    } finally {
      // What a failed step left in the engine holds the tmpfs: its lanes' containers, the raw side's.
      await removeContainers(createContext({ env: opts.env }), [`${BENCH_LABEL}=${tag}`, ...(lib ? [`isolane.repo=${lib.project.repo.id}`] : [])]);
      await scratch.release();
    }
  }
}

/** The contender of `strategy` in the variant asked for, else its default (labelled with its name alone, or its first). */
function pick(found: readonly Contender[], strategy: StrategyName, variant: string | undefined): Contender | undefined {
  const mine = found.filter((c) => c.strategy === strategy);
  return mine.find((c) => c.label === variant) ?? mine.find((c) => c.label === strategy) ?? mine[0];
}

type Measure = (command: string, a: Side['fn'], b: Side, more?: { rounds?: number; aBefore?: Side['before']; aAfter?: Side['after'] }) => Promise<PairedResult>;

/** `isolane up` and `isolane down` of one contender beside `node -e 0` plus its raw create and destroy. */
async function upDown(
  c: Contender,
  isolane: (args: readonly string[]) => Promise<void>,
  node0: () => Promise<void>,
  measure: Measure,
  judged: (command: string, result: PairedResult) => CliOverheadRow,
  rawRoot: string,
): Promise<CliOverheadRow[]> {
  const [create = c.raw.name, ...rest] = c.raw.name.split(' / ');
  const destroy = rest.join(' / ') || c.raw.name;
  const lane = (kind: string, i: number): string => `${kind}-${c.strategy}-${i}`;
  const dir = (kind: string, i: number): string => path.join(rawRoot, `cli-${kind}-${c.strategy}-${i}`);
  const up = `isolane up, ${c.label}`;
  const upResult = await measure(
    up,
    (i) => isolane(['up', lane('u', i)]),
    {
      name: `node -e 0 + ${create}`,
      fn: async (i) => {
        await node0();
        await c.raw.create(dir('u', i), 50_000 + i);
      },
      after: (i) => c.raw.destroy(dir('u', i), 50_000 + i),
    },
    { aAfter: (i) => isolane(['down', '--force', lane('u', i)]) },
  );
  const down = `isolane down, ${c.label}`;
  const downResult = await measure(
    down,
    (i) => isolane(['down', lane('d', i)]),
    {
      name: `node -e 0 + ${destroy}`,
      before: (i) => c.raw.create(dir('d', i), 60_000 + i),
      fn: async (i) => {
        await node0();
        await c.raw.destroy(dir('d', i), 60_000 + i);
      },
    },
    { aBefore: (i) => isolane(['up', lane('d', i)]) },
  );
  return [judged(up, upResult), judged(down, downResult)];
}
