import type { BenchResults } from '../results.js';
import { conclusionSection } from './conclusion.js';
import { failureLines, headline, hostFacts, reportTables, runLine, skippedLines, type Table } from './model.js';

/**
 * Untrusted text as literal Markdown: backslash-escape what GitHub would read as markup (tags,
 * links, emphasis, table pipes) and fold line breaks, which would end a table row.
 */
export function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|&~]/g, '\\$&').replace(/\s*[\r\n]+\s*/g, ' ');
}

/** One table of the report in GitHub Markdown. */
export function markdownTable(t: Table): string {
  const row = (cells: readonly string[]): string => `| ${cells.map(mdText).join(' | ')} |`;
  return [
    `### ${mdText(t.title)}`,
    '',
    row(t.columns.map((c) => c.label)),
    `|${t.columns.map((c) => (c.numeric ? '---:' : '---')).join('|')}|`,
    ...t.rows.map(row),
    ...(t.notes.length > 0 ? ['', ...t.notes.map((n) => `- ${mdText(n)}`)] : []),
  ].join('\n');
}

/** GitHub Markdown for a PR or a wiki page: the same content as the terminal report. */
export function renderMarkdown(r: BenchResults): string {
  const skipped = skippedLines(r);
  const failed = failureLines(r);
  const conclusion = conclusionSection(r);
  const sections = [
    `## ${mdText(headline(r))}`,
    `${mdText(runLine(r))}.\n\nHost: ${hostFacts(r)
      .map(([k, v]) => `${k} ${mdText(v)}`)
      .join(', ')}.`,
    ...(failed.length > 0 ? [['### Failed', '', ...failed.map((s) => `- ${mdText(s)}`)].join('\n')] : []),
    ...(conclusion ? [[`### ${conclusion.title}`, '', mdText(conclusion.lead), '', ...conclusion.points.map((p) => `- ${mdText(p)}`)].join('\n')] : []),
    ...reportTables(r).map(markdownTable),
    ...(skipped.length > 0 ? [['### Not measured', '', ...skipped.map((s) => `- ${mdText(s)}`)].join('\n')] : []),
  ];
  return `${sections.join('\n\n')}\n`;
}
