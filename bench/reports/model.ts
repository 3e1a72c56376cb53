import type { CpuSummary } from '../paired.js';
import type { BenchResults, CliOverhead, StrategyMeasure } from '../results.js';
import { bytes, count, decimal, duration, ms, NOISE_FLOOR, NOISE_NOTE, overhead, ratio, timestamp } from './format.js';

/**
 * What every report shows, as plain strings: each renderer only lays it out and escapes it for
 * its medium. Cells may hold untrusted text from the results (labels, paths, failure notes).
 */
export interface Column {
  readonly label: string;
  readonly numeric: boolean;
}

export interface Table {
  /** Stable identifier, used as the HTML anchor. */
  readonly id: string;
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: ReadonlyArray<readonly string[]>;
  readonly notes: readonly string[];
}

const text = (label: string): Column => ({ label, numeric: false });
const num = (label: string): Column => ({ label, numeric: true });

export function subject(r: BenchResults): string {
  return r.subject.kind === 'fixture' ? `${r.subject.preset} fixture` : `repository ${r.subject.path}`;
}

/** "isolane bench 0.1.0: medium fixture, 2025-06-01 14:03 UTC" */
export function headline(r: BenchResults): string {
  return `isolane bench ${r.isolaneVersion}: ${subject(r)}, ${timestamp(r.createdAt)}`;
}

export function runLine(r: BenchResults): string {
  const agents = r.agents.length > 0 ? `; agents ${r.agents.join(', ')}` : '';
  return `${r.rounds} interleaved rounds per measure${r.quick ? ' (quick mode)' : ''}${agents}; took ${duration(r.seconds)}`;
}

export function docker(r: BenchResults): string {
  return r.host.docker ?? `not available (${r.host.dockerReason ?? 'no reason given'})`;
}

/** Host facts as label/value pairs, in the order the reports show them. */
export function hostFacts(r: BenchResults): ReadonlyArray<readonly [string, string]> {
  const h = r.host;
  return [
    ['cores', count(h.cores)],
    ['memory', bytes(h.memoryBytes)],
    ['platform', `${h.platform} ${h.kernel}`],
    ['filesystem', `${h.filesystem}, ${bytes(h.freeDiskBytes)} free`],
    ['node', h.node],
    ['git', h.git],
    ['docker', docker(r)],
  ];
}

export function hostLine(r: BenchResults): string {
  return `host: ${hostFacts(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`;
}

export function skippedLines(r: BenchResults): string[] {
  return r.skipped.map((s) => `${s.strategy}: not measured: ${s.reason}`);
}

/** Each failed scenario with its first error (and a clean-up error after it, if any). */
export function failureLines(r: BenchResults): string[] {
  return r.failures.map((f) => `${f.scenario}: failed: ${f.error}${f.cleanupError === undefined ? '' : ` (the clean-up after it failed too: ${f.cleanupError})`}`);
}

function lifecycle(strategies: readonly StrategyMeasure[]): Table {
  const ops = (s: StrategyMeasure) =>
    (['create', 'destroy'] as const).map((op) => {
      const p = s[op];
      return [s.label, op, ms(p.a.p50), ms(p.a.p95), ms(p.b.p50), ms(p.b.p95), overhead(p.ratio.p50), count(p.a.runs)];
    });
  return {
    id: 'lifecycle',
    title: 'Create and destroy, isolane beside the raw tools',
    columns: [text('strategy'), text('op'), num('isolane p50'), num('isolane p95'), num('raw p50'), num('raw p95'), num('ratio p50'), num('runs')],
    rows: strategies.flatMap(ops),
    // The raw side is usually named for the whole cycle, the same for create and destroy.
    notes: [
      ...strategies.flatMap((s) =>
        s.create.b.name === s.destroy.b.name
          ? [`${s.label}: raw = ${s.create.b.name}`]
          : [`${s.label} create: raw = ${s.create.b.name}`, `${s.label} destroy: raw = ${s.destroy.b.name}`],
      ),
      ...(strategies.some((s) => s.create.ratio.p50 < NOISE_FLOOR || s.destroy.ratio.p50 < NOISE_FLOOR) ? [NOISE_NOTE] : []),
    ],
  };
}

const cpu = (c: CpuSummary | undefined): string => (c ? `${ms(c.totalMs)} (sys ${ms(c.sysMs)})` : 'n/a');

/** Each command through the CLI beside Node's start-up plus the raw commands, with its goal's verdict. */
export function cliOverheadTable(c: CliOverhead): Table {
  return {
    id: 'cli-overhead',
    title: `CLI overhead: each command as users run it, beside node -e 0 plus the raw commands (on ${c.tmpfs ? 'a tmpfs' : `the disk, ${c.filesystem}`})`,
    columns: [text('command'), num('isolane p50'), num('raw p50'), num('ratio p50'), num('isolane CPU'), num('raw CPU'), num('CPU ratio p50'), text('goal'), num('runs')],
    rows: c.rows.map((r) => {
      const p = r.result;
      const judged = `${r.basis === 'cpu' ? 'CPU' : 'time'} <= ${ratio(r.goal)}: ${Number.isNaN(r.ratio) ? 'n/a' : r.met ? 'met' : 'MISSED'}`;
      // Lanes read in parallel can truly take less wall time than the raw side's one by one.
      const wall = r.basis === 'cpu' ? ratio(p.ratio.p50) : overhead(p.ratio.p50);
      return [r.command, ms(p.a.p50), ms(p.b.p50), wall, cpu(p.cpu?.a), cpu(p.cpu?.b), p.cpu ? overhead(p.cpu.ratio.p50) : 'n/a', judged, count(p.a.runs)];
    }),
    notes: [
      ...c.rows.map((r) => `${r.command}: raw = ${r.result.b.name}`),
      ...c.rows.flatMap((r) => {
        const a = r.result.cpu?.a.totalMs;
        const b = r.result.cpu?.b.totalMs;
        return r.lanes !== undefined && a !== undefined && b !== undefined ? [`${r.command}: CPU per lane ${ms(a / r.lanes)} against ${ms(b / r.lanes)}`] : [];
      }),
      ...c.notes,
    ],
  };
}

function disk(strategies: readonly StrategyMeasure[]): Table {
  return {
    id: 'disk',
    title: 'Disk per lane',
    columns: [text('strategy'), num('lanes'), num('filesystem/lane'), num('raw tool, filesystem/lane'), num('apparent/lane'), num('statfs/lane (cross-check)')],
    rows: strategies.flatMap((s) =>
      [s.disk.one, s.disk.many].map((d) => [
        s.label,
        count(d.lanes),
        bytes(d.fsBytesPerLane),
        d.rawFsBytesPerLane === undefined ? '' : bytes(d.rawFsBytesPerLane),
        bytes(d.apparentBytesPerLane),
        d.statfsBytesPerLane === undefined ? '' : bytes(d.statfsBytesPerLane),
      ]),
    ),
    notes: [
      "filesystem: blocks of the lanes' own files (walked, each file once; objects shared with the main repository left out; a worktree's admin directory and a container's writable layer in); raw tool: the same for one lane the raw tools made; apparent: the size of the files; statfs: the filesystem's used blocks before and after, which other processes' writes also move",
      ...strategies.flatMap((s) => [s.disk.one, s.disk.many].flatMap((d) => (d.disagreement ? [`${s.label}, ${d.lanes} lane(s): ${d.disagreement}`] : []))),
    ],
  };
}

function fetchLatency(strategies: readonly StrategyMeasure[]): Table {
  return {
    id: 'fetch',
    title: 'Fetch: until every lane sees new commits',
    columns: [text('strategy'), num('lanes'), num('commits'), num('p50'), num('p95'), num('fetches'), num('runs')],
    rows: strategies.flatMap(({ label, fetch: f }) =>
      f ? [[label, count(f.lanes), count(f.commits), ms(f.untilAllSee.p50), ms(f.untilAllSee.p95), count(f.fetches), count(f.untilAllSee.runs)]] : [],
    ),
    notes: strategies.filter((s) => !s.fetch).map((s) => `${s.label}: fetch not measured`),
  };
}

function throughput(strategies: readonly StrategyMeasure[]): Table {
  return {
    id: 'throughput',
    title: 'Throughput per agent count',
    columns: [text('strategy'), num('agents'), num('tasks'), num('tasks/min'), num('failures'), num('seconds')],
    rows: strategies.flatMap((s) =>
      s.throughput.map((p) => [s.label, count(p.agents), count(p.tasks), p.failed === undefined ? decimal(p.tasksPerMinute) : 'failed', count(p.failures), decimal(p.seconds)]),
    ),
    notes: [
      ...strategies.flatMap((s) => s.notes.map((n) => `${s.label}: ${n}`)),
      ...strategies.flatMap((s) => s.throughput.flatMap((p) => (p.failed === undefined ? [] : [`${s.label}, ${p.agents} agents: every task failed, so no throughput was measured: failed: ${p.failed}`]))),
      ...strategies.flatMap((s) => s.throughput.flatMap((p) => p.failureNotes.map((n) => `${s.label}, ${p.agents} agents: ${n}`))),
    ],
  };
}

function sharedDir(r: BenchResults): Table {
  return {
    id: 'shared-dir',
    title: 'Baseline: every agent in one shared directory',
    columns: [num('agents'), num('tasks'), num('tasks/min'), num('failures'), num('collisions'), num('corrupted lockfiles'), num('seconds')],
    rows: r.sharedDir.map((p) => [
      count(p.agents),
      count(p.tasks),
      decimal(p.tasksPerMinute),
      count(p.failures),
      count(p.collisions),
      count(p.corruptedLockfiles),
      decimal(p.seconds),
    ]),
    notes: r.sharedDir.flatMap((p) => p.failureNotes.map((n) => `${p.agents} agents: ${n}`)),
  };
}

const MODE_LABELS: Readonly<Record<string, string>> = { fresh: 'fresh npm ci (no share)' };

function dependencies(r: BenchResults): Table {
  const points = r.dependencies ?? [];
  return {
    id: 'dependencies',
    title: 'Lane creation with dependencies: fresh npm ci beside each share mode (worktree lanes, the fixture Node project)',
    columns: [text('mode'), text('seed used'), num('up p50'), num('up p95'), num('disk per lane'), text('build and tests'), num('runs')],
    rows: points.map((p) => [MODE_LABELS[p.mode] ?? p.mode, p.mode === 'fresh' ? '-' : p.seeded ? 'yes' : 'no', ms(p.up.p50), ms(p.up.p95), bytes(p.fsBytesPerLane), p.failed === undefined ? 'pass' : 'FAILED', count(p.up.runs)]),
    notes: [
      'up: the whole `isolane up` (checkout, seed, set-up steps); disk: blocks the lane added, files shared with the main checkout (hard links) left out',
      ...points.flatMap((p) => p.notes.map((n) => `${p.mode}: ${n}`)),
      ...points.flatMap((p) => (p.failed === undefined ? [] : [`${p.mode}: no result, the lane did not work: ${p.failed}`])),
    ],
  };
}

/** The report's tables in order; those with no rows are left out (nothing was measured). */
export function reportTables(r: BenchResults): Table[] {
  return [lifecycle(r.strategies), ...(r.cliOverhead ? [cliOverheadTable(r.cliOverhead)] : []), disk(r.strategies), fetchLatency(r.strategies), throughput(r.strategies), sharedDir(r), dependencies(r)].filter(
    (t) => t.rows.length > 0,
  );
}
