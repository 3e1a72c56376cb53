import type { ChartConfiguration, ChartDataset, ChartOptions } from 'chart.js';
import type { BenchResults, StrategyMeasure, ThroughputPoint } from '../results.js';
import { mebibytes } from './format.js';

/**
 * Chart.js configurations for the HTML report. They are plain data (no callbacks), so the page
 * serialises them as JSON and its only script of its own is `new Chart(canvas, config)`.
 */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /** Shown under the chart: what is missing from it and why. Untrusted text. */
  readonly notes: readonly string[];
  /** Undefined when there is nothing to draw. */
  readonly config: Config | undefined;
  /** Drawn at a lower height: a secondary chart. */
  readonly small?: boolean;
}

type Config = ChartConfiguration<'bar' | 'line', Array<number | null>, string>;

const ISOLANE = '#2563eb';
const RAW = '#9ca3af';
const SHARED = '#dc2626';
const SERIES = ['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777'] as const;
const colour = (i: number): string => SERIES[i % SERIES.length] ?? ISOLANE;

function options(yTitle: string, values: readonly number[]): ChartOptions<'bar' | 'line'> {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  // One slow strategy (a container start) would flatten the others' bars: go logarithmic then.
  const log = positive.length === values.length && positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 30;
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: { y: { type: log ? 'logarithmic' : 'linear', beginAtZero: !log, title: { display: true, text: log ? `${yTitle} (log scale)` : yTitle } } },
  };
}

function latency(strategies: readonly StrategyMeasure[]): Config | undefined {
  if (strategies.length === 0) return undefined;
  const series = (side: 'a' | 'b') => strategies.flatMap((s) => [s.create[side].p50, s.destroy[side].p50]);
  return {
    type: 'bar',
    data: {
      labels: strategies.flatMap((s) => [`${s.label} create`, `${s.label} destroy`]),
      datasets: [
        { label: 'isolane p50', data: series('a'), backgroundColor: ISOLANE },
        { label: 'raw tools p50', data: series('b'), backgroundColor: RAW },
      ],
    },
    options: options('ms', [...series('a'), ...series('b')]),
  };
}

interface Series {
  readonly label: string;
  readonly points: readonly ThroughputPoint[];
  readonly colour: string;
  readonly dashed: boolean;
}

/** Every strategy with throughput points, then the shared-directory baseline. */
function throughputSeries(r: BenchResults): { agents: number[]; series: Series[] } {
  const agents = [...new Set([...r.strategies.flatMap((s) => s.throughput), ...r.sharedDir].map((p) => p.agents))].sort((a, b) => a - b);
  const series = [
    ...r.strategies.map((s, i) => ({ label: s.label, points: s.throughput, colour: colour(i), dashed: false })),
    { label: 'shared directory', points: r.sharedDir, colour: SHARED, dashed: true },
  ].filter((s) => s.points.length > 0);
  return { agents, series };
}

const at = (agents: readonly number[], points: readonly ThroughputPoint[], pick: (p: ThroughputPoint) => number | null): Array<number | null> =>
  agents.map((n) => {
    const p = points.find((q) => q.agents === n);
    return p ? pick(p) : null;
  });

/** A failed point (every task failed) has no throughput to draw; the failures chart shows it. */
const perMinute = (p: ThroughputPoint): number | null => (p.failed === undefined ? p.tasksPerMinute : null);

/**
 * Tasks per minute: one bar per strategy when a single agent count was measured (a quick bench),
 * else a line per strategy against the agent count. Failures have a small chart of their own, so
 * a handful of failed tasks never dwarfs the throughput it is read beside.
 */
function throughput(r: BenchResults): Config | undefined {
  const { agents, series } = throughputSeries(r);
  if (agents.length === 0) return undefined;
  const y = { beginAtZero: true, title: { display: true, text: 'tasks per minute' } };
  const base = { animation: false, responsive: true, maintainAspectRatio: false } as const;
  if (agents.length === 1) {
    return {
      type: 'bar',
      data: {
        labels: series.map((s) => s.label),
        datasets: [{ label: `tasks/min, ${agents[0] ?? ''} agents at once`, data: series.map((s) => (s.points[0] ? perMinute(s.points[0]) : null)), backgroundColor: series.map((s) => s.colour) }],
      },
      options: { ...base, plugins: { legend: { display: false } }, scales: { y } },
    };
  }
  const lines: Array<ChartDataset<'line', Array<number | null>>> = series.map((s) => ({
    type: 'line',
    label: s.label,
    data: at(agents, s.points, perMinute),
    borderColor: s.colour,
    backgroundColor: s.colour,
    borderDash: s.dashed ? [6, 4] : [],
    spanGaps: true,
  }));
  return {
    type: 'line',
    data: { labels: agents.map(String), datasets: lines },
    options: { ...base, scales: { x: { title: { display: true, text: 'agents working at once' } }, y } },
  };
}

/** Failed tasks per series and agent count; undefined when nothing failed. */
function failures(r: BenchResults): Config | undefined {
  const { agents, series } = throughputSeries(r);
  const failing = series.filter((s) => s.points.some((p) => p.failures > 0));
  if (failing.length === 0) return undefined;
  return {
    type: 'bar',
    data: {
      labels: agents.map((n) => `${n} agents`),
      datasets: failing.map((s) => ({ label: s.label, data: at(agents, s.points, (p) => p.failures), backgroundColor: `${s.colour}99` })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'failed tasks' } } },
    },
  };
}

function disk(strategies: readonly StrategyMeasure[]): Config | undefined {
  if (strategies.length === 0) return undefined;
  const many = strategies.map((s) => s.disk.many.lanes);
  const manyLabel = new Set(many).size === 1 ? `${many[0] ?? ''} lanes` : 'many lanes';
  const set = (label: string, pick: (s: StrategyMeasure) => number, colour: string, alpha = ''): ChartDataset<'bar', Array<number | null>> => ({
    label,
    data: strategies.map((s) => mebibytes(pick(s))),
    backgroundColor: `${colour}${alpha}`,
  });
  const datasets = [
    set('filesystem, 1 lane', (s) => s.disk.one.fsBytesPerLane, ISOLANE),
    set('apparent, 1 lane', (s) => s.disk.one.apparentBytesPerLane, RAW),
    set(`filesystem per lane, ${manyLabel}`, (s) => s.disk.many.fsBytesPerLane, ISOLANE, '88'),
    set(`apparent per lane, ${manyLabel}`, (s) => s.disk.many.apparentBytesPerLane, RAW, '88'),
  ];
  return {
    type: 'bar',
    data: { labels: strategies.map((s) => s.label), datasets },
    options: options('MiB per lane', datasets.flatMap((d) => d.data.filter((v): v is number => v !== null))),
  };
}

function fetchLatency(strategies: readonly StrategyMeasure[]): Config | undefined {
  const measured = strategies.flatMap((s) => (s.fetch ? [{ label: s.label, f: s.fetch }] : []));
  if (measured.length === 0) return undefined;
  const p50 = measured.map((m) => m.f.untilAllSee.p50);
  const p95 = measured.map((m) => m.f.untilAllSee.p95);
  return {
    type: 'bar',
    data: {
      labels: measured.map((m) => `${m.label} (${m.f.lanes} lanes, ${m.f.commits} commits)`),
      datasets: [
        { label: 'p50', data: p50, backgroundColor: ISOLANE },
        { label: 'p95', data: p95, backgroundColor: `${ISOLANE}66` },
      ],
    },
    options: options('ms until every lane sees the commits', [...p50, ...p95]),
  };
}

/** The charts, in the order the page shows them (failures only when some task failed). */
export function chartSpecs(r: BenchResults): ChartSpec[] {
  // The reasons are at the top of the page; each chart only says who is missing from it.
  const skipped = r.skipped.map((s) => `${s.strategy}: not measured`);
  const noThroughput = r.strategies.filter((s) => s.throughput.length === 0).map((s) => `${s.label}: throughput not measured`);
  const failedPoints = r.strategies.flatMap((s) => s.throughput.filter((p) => p.failed !== undefined).map((p) => `${s.label}, ${p.agents} agents: every task failed (not drawn)`));
  const failureChart = failures(r);
  return [
    { id: 'chart-latency', title: 'Create and destroy latency (p50), isolane beside the raw tools', notes: skipped, config: latency(r.strategies) },
    {
      id: 'chart-throughput',
      title: 'Throughput against the number of agents',
      notes: [...noThroughput, ...failedPoints, ...(r.sharedDir.length === 0 ? ['shared directory baseline: not measured'] : []), ...skipped],
      config: throughput(r),
    },
    ...(failureChart ? [{ id: 'chart-failures', title: 'Failed tasks', notes: [], config: failureChart, small: true }] : []),
    { id: 'chart-disk', title: 'Disk per lane: filesystem blocks and apparent size', notes: skipped, config: disk(r.strategies) },
    {
      id: 'chart-fetch',
      title: 'Fetch latency until every lane sees new commits',
      notes: [...r.strategies.filter((s) => !s.fetch).map((s) => `${s.label}: fetch not measured`), ...skipped],
      config: fetchLatency(r.strategies),
    },
  ];
}
