import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BenchResults } from '../results.js';
import { chartSpecs, type ChartSpec } from './charts.js';
import { conclusionSection } from './conclusion.js';
import { failureLines, headline, hostFacts, reportTables, runLine, skippedLines, type Table } from './model.js';

/** Text from the results, as HTML: paths and failure notes are untrusted. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a <script> element: no "<" may appear, or "</script>" in a string would end it. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** chart.js's exports map hides its UMD build; the package's main entry sits beside it in dist/. */
async function chartJsSource(): Promise<string> {
  const main = createRequire(import.meta.url).resolve('chart.js');
  const source = await fsp.readFile(path.join(path.dirname(main), 'chart.umd.js'), 'utf8');
  return source.replace(/<\/script/gi, '<\\/script');
}

const INIT = `const configs = JSON.parse(document.getElementById('chart-configs').textContent);
for (const [id, config] of Object.entries(configs)) new Chart(document.getElementById(id), config);`;

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;color:#111827;max-width:1200px;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}h3{font-size:1rem;margin:0 0 .5rem}
.meta{color:#4b5563;margin:0 0 1rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}dt{color:#4b5563}dd{margin:0}
.skipped{border-left:4px solid #d97706;background:#fffbeb;padding:.5rem 1rem;margin:1rem 0}.skipped ul{margin:.25rem 0}
.failed{border-left:4px solid #dc2626;background:#fef2f2;padding:.5rem 1rem;margin:1rem 0}.failed ul{margin:.25rem 0}
#conclusion{border-left:4px solid #2563eb;background:#eff6ff;padding:.25rem 1rem;margin:1rem 0}#conclusion h2{margin-top:.5rem}
.plot.small{height:160px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1.5rem}
figure{margin:0;border:1px solid #e5e7eb;border-radius:6px;padding:1rem}.plot{position:relative;height:320px}
figcaption,.notes{color:#4b5563;font-size:.85rem}.empty{color:#6b7280;font-style:italic}
table{border-collapse:collapse;margin:.25rem 0}th,td{border:1px solid #e5e7eb;padding:.25rem .6rem;text-align:left}
th{background:#f9fafb}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}`;

const list = (items: readonly string[], cls: string): string =>
  items.length === 0 ? '' : `<ul class="${cls}">${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;

function figure(c: ChartSpec): string {
  const plot = c.config ? `<div class="plot${c.small ? ' small' : ''}"><canvas id="${c.id}" role="img" aria-label="${esc(c.title)}"></canvas></div>` : '<p class="empty">Nothing measured.</p>';
  return `<figure><h3>${esc(c.title)}</h3>${plot}<figcaption>${list(c.notes, 'notes')}</figcaption></figure>`;
}

function table(t: Table): string {
  const cls = (i: number): string => (t.columns[i]?.numeric ? ' class="n"' : '');
  const head = t.columns.map((c, i) => `<th${cls(i)}>${esc(c.label)}</th>`).join('');
  const body = t.rows.map((row) => `<tr>${row.map((cell, i) => `<td${cls(i)}>${esc(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<section id="${t.id}"><h2>${esc(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${list(t.notes, 'notes')}</section>`;
}

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * One self-contained page: Chart.js, the chart data and the full results are inlined, and the
 * CSP allows only those two scripts, so the page needs no network and escaped data cannot run.
 */
export async function renderHtml(r: BenchResults): Promise<string> {
  const chartJs = await chartJsSource();
  const charts = chartSpecs(r);
  const configs = Object.fromEntries(charts.flatMap((c) => (c.config ? [[c.id, c.config]] : [])));
  const csp = `default-src 'none'; script-src ${sha256(chartJs)} ${sha256(INIT)}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const skipped = skippedLines(r);
  const failed = failureLines(r);
  const conclusion = conclusionSection(r);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(headline(r))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(headline(r))}</h1>
<p class="meta">${esc(runLine(r))}</p>
<dl>${hostFacts(r)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>
</header>
${failed.length > 0 ? `<aside class="failed"><strong>Failed</strong>${list(failed, 'failed-list')}</aside>` : ''}
${skipped.length > 0 ? `<aside class="skipped"><strong>Not measured</strong>${list(skipped, 'skipped-list')}</aside>` : ''}
${conclusion ? `<section id="conclusion"><h2>${esc(conclusion.title)}</h2><p>${esc(conclusion.lead)}</p>${list(conclusion.points, 'points')}</section>` : ''}
<noscript><p>The charts need JavaScript; the tables below hold every figure.</p></noscript>
<h2>Charts</h2>
<div class="charts">
${charts.map(figure).join('\n')}
</div>
${reportTables(r).map(table).join('\n')}
<script type="application/json" id="bench-results">${scriptJson(r)}</script>
<script type="application/json" id="chart-configs">${scriptJson(configs)}</script>
<script>${chartJs}</script>
<script>${INIT}</script>
</body>
</html>
`;
}
