import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml, renderMarkdown, renderText } from '../../bench/reports/index.js';
import type { BenchResults } from '../../bench/results.js';
import { DOCKER_REASON, emptyResults, INJECTED_NOTE, INJECTED_PATH, quickResults, sampleResults, sparseResults } from '../helpers/bench-results.js';
import { chartSpecs } from '../../bench/reports/charts.js';

describe('text report', () => {
  const out = renderText(sampleResults);

  it('shows the host, every measure with its figures, and why a strategy was skipped', () => {
    expect(out).toContain('host: cores 2, memory 7.7 GiB, platform linux 6.1.0-28-amd64, filesystem ext4, 23.4 GiB free');
    expect(out).toContain(`docker not available (${DOCKER_REASON})`);
    expect(out).toMatch(/worktree\s+create\s+61\.4 ms\s+79\.8 ms\s+54\.2 ms\s+70\.5 ms\s+1\.13x\s+10/);
    expect(out).toMatch(/clone \(blobless\)\s+8\s+119\.9 MiB\s+118\.2 MiB/);
    expect(out).toMatch(/clone \(blobless\)\s+8\s+5\s+1650 ms\s+1903 ms\s+8\s+10/);
    expect(out).toMatch(/worktree\s+4\s+12\s+12\.1\s+0\s+60\.0/);
    expect(out).toMatch(/^\s+4\s+4\s+4\.1\s+3\s+3\s+1\s+60\.0$/m);
    expect(out).toContain(`container: not measured: ${DOCKER_REASON}`);
    expect(out).toContain(`clone (blobless), 4 agents: ${INJECTED_NOTE}`);
  });

  it('aligns columns: every row of a table is as wide as its header', () => {
    const lifecycle = out.split('\n\n').find((s) => s.startsWith('Create and destroy'))!.split('\n');
    const rows = lifecycle.slice(1, 6);
    expect(new Set(rows.map((l) => l.length)).size).toBe(1);
  });

  it('shows control characters from the data escaped, so they cannot drive the terminal', () => {
    const out = renderText({ ...sampleResults, subject: { kind: 'repo', path: '/tmp/\x1b[2Jx' } });
    expect(out).toContain('/tmp/\\x1b[2Jx');
    expect(out).not.toContain('\x1b');
  });
});

describe('markdown report', () => {
  const md = renderMarkdown(sampleResults);

  it('has a header with subject, date, version and host, and GitHub tables with the figures', () => {
    expect(md).toMatch(/^## isolane bench 0\.1\.0: repository .+, 2025-06-01 14:03 UTC$/m);
    expect(md).toContain('Host: cores 2, memory 7.7 GiB');
    expect(md).toContain('| worktree | create | 61.4 ms | 79.8 ms | 54.2 ms | 70.5 ms | 1.13x | 10 |');
    expect(md).toContain('|---|---|---:|---:|---:|---:|---:|---:|');
    expect(md).toContain('| 4 | 4 | 4.1 | 3 | 3 | 1 | 60.0 |');
    expect(md).toContain(`- container: not measured: ${DOCKER_REASON}`);
  });

  it('escapes markup from the data so it shows literally', () => {
    expect(md).not.toMatch(/(?<!\\)</);
    expect(md).toContain('\\<script\\>window.\\_\\_injected = 1\\</script\\>');
  });
});

const CHROMIUM = '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent (apt-get install chromium)`;
const ci = process.env.CI === 'true';
if (missing && !ci) process.stderr.write(`reports.test.ts: skipping the HTML report in a browser: ${missing}\n`);

interface Probe {
  readonly id: string;
  readonly chart: boolean;
  readonly painted: number;
}

// Evaluated in the page: the test's tsconfig has no DOM types, and a string cannot pick up
// helpers the test transform might inject into a function.
const PROBE = `[...document.querySelectorAll('canvas')].map((c) => {
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
  return { id: c.id, chart: Chart.getChart(c) !== undefined, painted };
})`;

describe.skipIf(missing !== undefined && !ci)('HTML report in headless Chromium', { tags: ['chromium'] }, () => {
  let browser: Browser | undefined;
  let dir: string;
  const keep = process.env.ISOLANE_REPORT_DIR;

  beforeAll(async () => {
    if (missing) throw new Error(`CI=true but ${missing}`);
    dir = keep ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-reports-')));
    await fsp.mkdir(dir, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  afterAll(async () => {
    await browser?.close();
    if (!keep && dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  /** Loads the rendered page from a file; every console error, page error or request is recorded. */
  async function open(name: string, results: BenchResults) {
    const file = path.join(dir, `${name}.html`);
    await fsp.writeFile(file, await renderHtml(results));
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(`(${PROBE}).every((p) => p.chart && p.painted > 0)`, undefined, { timeout: 10_000 });
    const probes = await page.evaluate<Probe[]>(PROBE);
    return { page, file, url, errors, requests, probes };
  }

  it('draws every chart from the inlined library and data, shows escaped text literally and runs none of it', async () => {
    const { page, file, url, errors, requests, probes } = await open('sample', sampleResults);
    expect(probes.map((p) => p.id)).toEqual(['chart-latency', 'chart-throughput', 'chart-failures', 'chart-disk', 'chart-fetch']);
    for (const p of probes) expect(p.painted, p.id).toBeGreaterThan(1000);

    const body = await page.innerText('body');
    expect(body).toContain(INJECTED_PATH);
    expect(body).toContain(INJECTED_NOTE);
    expect(body).toContain(`container: not measured: ${DOCKER_REASON}`);
    expect(await page.evaluate('window.__injected')).toBeUndefined();
    expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0);
    expect(await page.evaluate('document.scripts.length')).toBe(4);
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);

    const png = path.join(dir, 'sample.png');
    await page.screenshot({ path: png, fullPage: true });
    expect((await fsp.stat(png)).size).toBeGreaterThan(50_000);
    process.stderr.write(`HTML report: ${file} (${(await fsp.stat(file)).size} bytes), screenshot: ${png}\n`);
    await page.close();
  });

  it("draws a quick bench's charts, failures apart, under what it means for the reader", async () => {
    const { page, errors, probes } = await open('quick', quickResults);
    expect(probes.map((p) => p.id)).toEqual(['chart-latency', 'chart-throughput', 'chart-failures', 'chart-disk', 'chart-fetch']);
    for (const p of probes) expect(p.painted, p.id).toBeGreaterThan(1000);
    const body = await page.innerText('body');
    expect(body).toContain('What this means for you');
    expect(body).toContain('the policy chooses worktree here');
    expect(body).toContain('container: create and destroy: failed: No such image');
    expect(errors).toEqual([]);
    await page.close();
  });

  it.each([
    ['sparse', sparseResults, ['chart-latency', 'chart-disk']],
    ['empty', emptyResults, []],
  ] as const)('renders the %s results without errors, saying what was not measured', async (name, results, charts) => {
    const { page, errors, probes } = await open(name, results);
    expect(probes.map((p) => p.id)).toEqual(charts);
    const body = await page.innerText('body');
    for (const s of results.skipped) expect(body).toContain(`${s.strategy}: not measured: ${s.reason}`);
    expect(body).toContain('Nothing measured.');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('a quick bench report', () => {
  it('ends in what it means for the reader: the strategy the policy chooses here, why, and the figures behind it', () => {
    for (const out of [renderText(quickResults), renderMarkdown(quickResults)]) {
      expect(out).toContain('What this means for you');
      expect(out).toContain('For the default workload (6 agents at once), the policy chooses worktree here');
      expect(out).toContain('why: trusted local development');
      expect(out).toMatch(/worktree: disk: 37\.6 MiB per lane here, 225\.6 MiB for 6 lane\(s\)/);
      expect(out).toContain('worktree: 2 agent(s) at once: 42.1 tasks/min, none failed; in one shared directory 2 of 2 failed');
    }
    expect(renderText(sampleResults)).not.toContain('What this means for you');
  });

  it('says which scenario failed with its first error, the clean-up error beside it, and never shows a failed throughput as a figure', () => {
    const out = renderText(quickResults);
    expect(out).toContain('container: create and destroy: failed: No such image: isolane/base:bookworm (the clean-up after it failed too: no lane named c-container-0)');
    expect(out).toContain('clone (blobless): 2 agent(s) at once: failed: agent-2-0: npm ci exited 1: ENOENT');
    expect(out).toMatch(/clone \(blobless\)\s+2\s+\d+\s+failed\s+2/);
    expect(renderMarkdown(quickResults)).toContain('### Failed');
  });

  it('draws throughput as one bar per strategy, with failures in a small chart of their own', () => {
    const charts = chartSpecs(quickResults);
    const tp = charts.find((c) => c.id === 'chart-throughput')?.config;
    expect(tp?.type).toBe('bar');
    expect(tp?.data.labels).toEqual(['worktree', 'clone (blobless)', 'shared directory']);
    // The failed measurement is not drawn as a throughput of 0; no failure count shares this axis.
    expect(tp?.data.datasets.map((d) => d.data)).toEqual([[42.1, null, 0]]);
    const failures = charts.find((c) => c.id === 'chart-failures');
    expect(failures?.small).toBe(true);
    expect(failures?.config?.data.datasets.map((d) => [d.label, d.data])).toEqual([
      ['clone (blobless)', [2]],
      ['shared directory', [2]],
    ]);
    // Several agent counts: lines, still without failure bars.
    const lines = chartSpecs(sampleResults).find((c) => c.id === 'chart-throughput')?.config;
    expect(lines?.type).toBe('line');
    expect(lines?.data.datasets.map((d) => d.label)).toEqual(['worktree', 'clone (blobless)', 'shared directory']);
  });
});
