import { describe, expect, it } from 'vitest';
import type { PairedResult } from '../../bench/paired.js';
import { benchMarkdown, benchTable, strategyTableMarkdown, strategyTableText } from '../../bench/report.js';
import { NOISE_FLOOR, overhead } from '../../bench/reports/format.js';
import { renderHtml, renderMarkdown, renderText } from '../../bench/reports/index.js';
import { cliOverheadTable } from '../../bench/reports/model.js';
import { layout } from '../../bench/reports/text.js';
import type { BenchResults, CliOverhead, StrategyMeasure } from '../../bench/results.js';
import { quickResults } from '../helpers/bench-results.js';

/** A pair whose per-round ratio p50 is `ratio` (made up for the tests). */
function pair(ratio: number, cpuRatio?: number): PairedResult {
  const s = (x: number) => ({ runs: 10, p50: x, p95: x, min: x, max: x });
  const cpu = (t: number) => ({ userMs: t * 0.7, sysMs: t * 0.3, totalMs: t });
  return {
    a: { name: 'isolane', ...s(100 * ratio) },
    b: { name: 'raw', ...s(100) },
    ratio: { p50: ratio, p95: ratio },
    ...(cpuRatio === undefined ? {} : { cpu: { a: cpu(50 * cpuRatio), b: cpu(50), ratio: { p50: cpuRatio, p95: cpuRatio } } }),
  };
}

describe('the noise rule: isolane cannot beat the raw commands it runs', () => {
  it('shows a ratio below 0.95x as about 1.0x with the measured figure as noise, and any other as it is', () => {
    expect(NOISE_FLOOR).toBe(0.95);
    expect(overhead(0.73)).toBe('≈1.0x (noise: 0.73x)');
    expect(overhead(0.9499)).toBe('≈1.0x (noise: 0.95x)');
    expect(overhead(0.95)).toBe('0.95x');
    expect(overhead(1)).toBe('1.00x');
    expect(overhead(1.21)).toBe('1.21x');
    expect(overhead(Number.NaN)).toBe('n/a');
  });

  const noisy: StrategyMeasure = { ...(quickResults.strategies[0] as StrategyMeasure), create: pair(0.73), destroy: pair(0.67) };
  const results: BenchResults = { ...quickResults, strategies: [noisy, ...quickResults.strategies.slice(1)] };

  it("in every report of `isolane bench`: the create/destroy table, with a note why, and what this means for you", async () => {
    for (const out of [renderText(results), renderMarkdown(results), await renderHtml(results)]) {
      expect(out).toContain('≈1.0x (noise: 0.73x)');
      expect(out).toContain('≈1.0x (noise: 0.67x)');
      // Never the bare figure, as if isolane were faster.
      expect(out).not.toMatch(/(?<!noise: )0\.73x/);
      expect(out).toMatch(/below 0\.95x is the machine(?:'|&#39;)s drift/);
    }
    // The conclusion's figures too.
    expect(renderText(results)).toMatch(/worktree: create .+ \(p50; ≈1\.0x \(noise: 0\.73x\) and ≈1\.0x \(noise: 0\.67x\) the raw tools' time\)/);
    // A table without such a ratio has no note about it.
    expect(renderText(quickResults)).not.toContain('noise');
  });

  it("in `npm run bench`'s tables: scenarios and strategies, judged against the goal by the measured ratio", () => {
    const rows = [{ scenario: '(a) library up+down', result: pair(0.8), goal: 1.15 }];
    expect(benchTable(rows)).toMatch(/≈1\.0x \(noise: 0\.80x\)\s+≈1\.0x \(noise: 0\.80x\)\s+<= 1\.15x met/);
    expect(benchMarkdown(rows)).toContain('| ≈1.0x (noise: 0.80x) | ≈1.0x (noise: 0.80x) |');
    const strategies = [{ label: 'clone (full)', create: pair(0.91), destroy: pair(1.25), disk: { fsBytes: 2 ** 20, apparentBytes: 2 ** 20, lanes: 3 } }];
    expect(strategyTableText(strategies, 1.2)).toMatch(/≈1\.0x \(noise: 0\.91x\) met .+ 1\.25x MISSED/);
    expect(strategyTableMarkdown(strategies, 1.2)).toMatch(/\| ≈1\.0x \(noise: 0\.91x\) \|.+\| 1\.25x \|/);
  });

  it('in the CLI overhead table, except the wall time of ls over many lanes, which isolane reads in parallel', () => {
    const cli: CliOverhead = {
      filesystem: 'tmpfs',
      tmpfs: true,
      notes: [],
      rows: [
        { command: 'isolane path <lane>', basis: 'time', result: pair(0.88, 1.1), goal: 1.3, ratio: 0.88, met: true },
        { command: 'isolane ls, 64 lanes', basis: 'cpu', result: pair(0.6, 1.4), goal: 1.3, ratio: 1.4, met: false, lanes: 64 },
      ],
    };
    const out = layout(cliOverheadTable(cli));
    expect(out).toMatch(/^isolane path <lane>\s+88\.0 ms\s+100\.0 ms\s+≈1\.0x \(noise: 0\.88x\)\s+.+1\.10x\s+time <= 1\.30x: met\s+10$/m);
    expect(out).toMatch(/^isolane ls, 64 lanes\s+60\.0 ms\s+100\.0 ms\s+0\.60x\s+.+1\.40x\s+CPU <= 1\.30x: MISSED\s+10$/m);
    expect(out).toContain('isolane ls, 64 lanes: CPU per lane 1.09 ms against 0.78 ms');
  });
});
