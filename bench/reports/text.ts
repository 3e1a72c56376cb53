import type { BenchResults } from '../results.js';
import { conclusionSection } from './conclusion.js';
import { failureLines, headline, hostLine, reportTables, runLine, skippedLines, type Table } from './model.js';

/** Control characters in untrusted text would be interpreted by the terminal: show them escaped. */
function plain(s: string): string {
  return s.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One table of the report, aligned for a terminal. */
export function layout(t: Table): string {
  const cells = [t.columns.map((c) => c.label), ...t.rows].map((row) => row.map(plain));
  const widths = t.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (t.columns[i]?.numeric ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [header = [], ...body] = cells;
  return [
    plain(t.title),
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    ...t.notes.map((n) => `  ${plain(n)}`),
  ].join('\n');
}

/**
 * Terminal report: host, then one aligned table per measure, what was not measured or failed,
 * and last, where a terminal leaves it in view, what it means for the reader.
 */
export function renderText(r: BenchResults): string {
  const skipped = skippedLines(r);
  const failed = failureLines(r);
  const conclusion = conclusionSection(r);
  const sections = [
    [headline(r), runLine(r), hostLine(r)].map(plain).join('\n'),
    ...reportTables(r).map(layout),
    ...(skipped.length > 0 ? [['Not measured', ...skipped.map((s) => `  ${plain(s)}`)].join('\n')] : []),
    ...(failed.length > 0 ? [['Failed', ...failed.map((s) => `  ${plain(s)}`)].join('\n')] : []),
    ...(conclusion ? [[conclusion.title, plain(conclusion.lead), ...conclusion.points.map((p) => `  - ${plain(p)}`)].join('\n')] : []),
  ];
  return `${sections.join('\n\n')}\n`;
}
