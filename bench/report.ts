import type { PairedResult } from './paired.js';
import { overhead } from './reports/format.js';

export interface BenchRow {
  readonly scenario: string;
  readonly result: PairedResult;
  /** Upper bound for the p50 ratio, when the project has set one. */
  readonly goal?: number;
  readonly note?: string;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const x = (v: number): string => `${v.toFixed(2)}x`;

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** The terminal table: isolane beside the raw tool, p50/p95, the per-pair ratio and the goal. */
export function benchTable(rows: readonly BenchRow[]): string {
  const header = ['scenario', 'isolane p50', 'p95', 'raw', 'raw p50', 'p95', 'ratio p50', 'ratio p95', 'goal', 'runs'];
  const body = rows.map(({ scenario, result, goal }) => [
    scenario,
    ms(result.a.p50),
    ms(result.a.p95),
    result.b.name,
    ms(result.b.p50),
    ms(result.b.p95),
    overhead(result.ratio.p50),
    overhead(result.ratio.p95),
    goal === undefined ? 'report' : `<= ${x(goal)} ${result.ratio.p50 <= goal ? 'met' : 'MISSED'}`,
    String(result.a.runs),
  ]);
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.scenario}: ${r.note ?? ''}`);
  return [pad([header, ...body]), ...notes].join('\n');
}

/** The same table in Markdown, for a README or a PR. */
export function benchMarkdown(rows: readonly BenchRow[]): string {
  const header = '| scenario | isolane p50 | isolane p95 | raw equivalent | raw p50 | raw p95 | ratio p50 | ratio p95 | goal | runs |';
  const lines = rows.map(({ scenario, result, goal }) =>
    `| ${scenario} | ${ms(result.a.p50)} | ${ms(result.a.p95)} | ${result.b.name} | ${ms(result.b.p50)} | ${ms(result.b.p95)} | ${overhead(result.ratio.p50)} | ${overhead(result.ratio.p95)} | ${goal === undefined ? 'report' : `≤ ${x(goal)}`} | ${result.a.runs} |`,
  );
  return [header, '|---|---|---|---|---|---|---|---|---|---|', ...lines].join('\n');
}

export interface StrategyRow {
  readonly label: string;
  readonly create: PairedResult;
  readonly destroy: PairedResult;
  readonly disk: { readonly fsBytes: number; readonly apparentBytes: number; readonly lanes: number };
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const verdict = (ratio: number, goal: number): string => `${overhead(ratio)} ${ratio <= goal ? 'met' : 'MISSED'}`;

/** Per strategy: create and destroy beside the raw equivalent (p50, ratio vs the goal), and disk per lane. */
export function strategyTableText(rows: readonly StrategyRow[], goal: number): string {
  const header = ['strategy', 'create p50', 'raw p50', `ratio (<= ${goal}x)`, 'destroy p50', 'raw p50', `ratio (<= ${goal}x)`, 'disk/lane (fs)', 'apparent', 'runs'];
  const body = rows.map((r) => [
    r.label,
    ms(r.create.a.p50),
    ms(r.create.b.p50),
    verdict(r.create.ratio.p50, goal),
    ms(r.destroy.a.p50),
    ms(r.destroy.b.p50),
    verdict(r.destroy.ratio.p50, goal),
    mib(r.disk.fsBytes),
    mib(r.disk.apparentBytes),
    String(r.create.a.runs),
  ]);
  const raws = rows.map((r) => `  ${r.label}: raw = ${r.create.b.name}`);
  return [pad([header, ...body]), ...raws].join('\n');
}

export function strategyTableMarkdown(rows: readonly StrategyRow[], goal: number): string {
  const lines = rows.map(
    (r) =>
      `| ${r.label} | ${ms(r.create.a.p50)} (p95 ${ms(r.create.a.p95)}) | ${ms(r.create.b.p50)} | ${overhead(r.create.ratio.p50)} | ${ms(r.destroy.a.p50)} | ${ms(r.destroy.b.p50)} | ${overhead(r.destroy.ratio.p50)} | ${mib(r.disk.fsBytes)} | ${mib(r.disk.apparentBytes)} | ${r.create.b.name} |`,
  );
  return [
    `| strategy | create p50 | raw create p50 | ratio (goal ≤ ${goal}x) | destroy p50 | raw destroy p50 | ratio | disk per lane (filesystem) | apparent size | raw equivalent |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}
