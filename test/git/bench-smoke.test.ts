import { DEFAULT_IMAGE } from '../../src/docker/settings.js';
import { canMount } from '../../src/snapshot/privilege.js';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchMarkdown, benchTable, strategyTableMarkdown, strategyTableText } from '../../bench/report.js';
import type { BenchEnv } from '../../bench/env.js';
import { cliCycle, libraryCycle, startup } from '../../bench/scenarios/lane-cycle.js';
import { strategyTable } from '../../bench/scenarios/strategies.js';
import { cachedRepo } from '../../fixtures/generate-repo.js';
import { createContext } from '../../src/context.js';
import { ROOT_MARKER } from '../../src/engine/lanes-root.js';
import { dockerClient, probeDocker } from '../../src/docker/client.js';

const execFileP = promisify(execFile);

// Runs every bench scenario once on the tiny fixture, so the harness cannot rot unnoticed.
let dir: string;
let e: BenchEnv;
beforeAll(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-bench-smoke-')));
  const home = path.join(dir, 'home');
  await fsp.mkdir(home);
  await fsp.writeFile(path.join(home, '.gitconfig'), '[user]\n\tname = smoke\n\temail = smoke@isolane.invalid\n');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  const root = path.join(dir, 'repo');
  await execFileP('git', ['clone', '-q', '--', await cachedRepo('tiny', { cacheDir: path.join(dir, 'cache') }), root], { env });
  e = { root, lanesRoot: path.join(dir, 'repo.lanes'), rawRoot: path.join(dir, 'raw.lanes'), env, rounds: 1 };
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('bench harness', () => {
  it('measures each lane-cycle scenario as interleaved pairs and reports them', async () => {
    const rows = [
      { scenario: 'library', result: await libraryCycle(e), goal: 1.15 },
      { scenario: 'cli', result: await cliCycle(e) },
      { scenario: 'start-up', result: await startup(e), goal: 1.5 },
    ];
    for (const { result } of rows) {
      expect(result.a.runs).toBeGreaterThanOrEqual(1);
      expect(result.a.p50).toBeGreaterThan(0);
      expect(result.b.p50).toBeGreaterThan(0);
      // the median of per-pair ratios lies between the extreme ratios the samples allow
      expect(result.ratio.p50).toBeGreaterThanOrEqual(result.a.min / result.b.max);
      expect(result.ratio.p50).toBeLessThanOrEqual(result.a.max / result.b.min);
    }
    expect(benchTable(rows)).toMatch(/^scenario\s+isolane p50/);
    expect(benchMarkdown(rows).split('\n')).toHaveLength(2 + rows.length);
    // every lane the scenarios made is gone again
    expect((await execFileP('git', ['worktree', 'list'], { cwd: e.root, env: e.env })).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('measures create, destroy and disk for each strategy beside the raw tools', async () => {
    const probe = await probeDocker(createContext());
    const { results } = await strategyTable(e, probe.available ? dockerClient(createContext()).docker : undefined, { image: DEFAULT_IMAGE, agentImage: `${DEFAULT_IMAGE}-node` });
    // snapshot where this process may mount (as root here; CI runs as root)
    const mounts = await canMount();
    expect(results.map((r) => r.label)).toEqual(['worktree', 'clone (full)', 'clone (reference)', 'clone (blobless)', ...(probe.available ? ['container'] : []), ...(mounts ? ['snapshot'] : [])]);
    for (const r of results) {
      expect(r.create.a.p50).toBeGreaterThan(0);
      expect(r.destroy.b.p50).toBeGreaterThan(0);
      expect(r.disk.apparentBytes).toBeGreaterThan(0);
    }
    expect(strategyTableText(results, 1.2)).toContain('clone (reference)');
    expect(strategyTableMarkdown(results, 1.2)).toContain('| worktree |');
    expect((await fsp.readdir(e.lanesRoot)).filter((f) => f !== ROOT_MARKER)).toEqual([]);
    expect(await fsp.readdir(e.rawRoot)).toEqual([]);
  }, 300_000); // every strategy, container included: minutes on a busy host
});
