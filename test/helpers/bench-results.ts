import type { PairedResult } from '../../bench/paired.js';
import { RESULTS_VERSION, type BenchResults, type StrategyMeasure, type ThroughputPoint } from '../../bench/results.js';

/** A sample input for the report renderers (made up for the tests, not a measurement). */

const MiB = 2 ** 20;

function pair(a: string, b: string, p50: number, rawP50: number, runs = 10): PairedResult {
  const s = (x: number) => ({ runs, p50: x, p95: x * 1.3, min: x * 0.9, max: x * 1.5 });
  return { a: { name: a, ...s(p50) }, b: { name: b, ...s(rawP50) }, ratio: { p50: p50 / rawP50, p95: (p50 * 1.3) / rawP50 } };
}

function point(agents: number, tasksPerMinute: number, failureNotes: string[] = []): ThroughputPoint {
  const seconds = 60;
  return { agents, tasks: Math.round(tasksPerMinute), failures: failureNotes.length, seconds, tasksPerMinute, failureNotes };
}

export const INJECTED_PATH = '/srv/agents/<script>window.__injected = 1</script>/repo';
export const INJECTED_NOTE = 'agent-3: npm ci exited 1 <img src=x onerror="window.__injected = 2">';
export const DOCKER_REASON = 'no Docker engine at /var/run/docker.sock (connect ENOENT /var/run/docker.sock)';

const worktree: StrategyMeasure = {
  strategy: 'worktree',
  label: 'worktree',
  create: pair('isolane up', 'git worktree add -b / worktree remove + branch -d', 61.4, 54.2),
  destroy: pair('isolane down', 'git worktree add -b / worktree remove + branch -d', 48.7, 45.1),
  disk: { one: { lanes: 1, fsBytesPerLane: 38.2 * MiB, apparentBytesPerLane: 36.9 * MiB }, many: { lanes: 8, fsBytesPerLane: 37.6 * MiB, apparentBytesPerLane: 36.9 * MiB } },
  fetch: { lanes: 8, commits: 5, untilAllSee: { runs: 10, p50: 212.5, p95: 260.1, min: 190.2, max: 281.7 }, fetches: 1 },
  notes: [],
  throughput: [point(1, 5.8), point(2, 10.9), point(4, 12.1), point(8, 11.4)],
};

const clone: StrategyMeasure = {
  strategy: 'clone',
  label: 'clone (blobless)',
  create: pair('isolane up', 'git clone --filter=blob:none + checkout -b / status + fetch home + rm -rf', 412.9, 380.3),
  destroy: pair('isolane down', 'git clone --filter=blob:none + checkout -b / status + fetch home + rm -rf', 96.3, 90.8),
  disk: { one: { lanes: 1, fsBytesPerLane: 121.5 * MiB, apparentBytesPerLane: 118.2 * MiB }, many: { lanes: 8, fsBytesPerLane: 119.9 * MiB, apparentBytesPerLane: 118.2 * MiB } },
  fetch: { lanes: 8, commits: 5, untilAllSee: { runs: 10, p50: 1650.4, p95: 1902.8, min: 1580, max: 2011 }, fetches: 8 },
  notes: [],
  throughput: [point(1, 5.5), point(2, 10.1), point(4, 11.2, [INJECTED_NOTE]), point(8, 10.2)],
};

export const sampleResults: BenchResults = {
  version: RESULTS_VERSION,
  createdAt: '2025-06-01T14:03:27.512Z',
  isolaneVersion: '0.1.0',
  subject: { kind: 'repo', path: INJECTED_PATH },
  quick: false,
  rounds: 10,
  agents: [1, 2, 4, 8],
  host: {
    cores: 2,
    memoryBytes: 7.7 * 2 ** 30,
    platform: 'linux',
    kernel: '6.1.0-28-amd64',
    filesystem: 'ext4',
    freeDiskBytes: 23.4 * 2 ** 30,
    node: 'v20.19.2',
    git: '2.39.5',
    docker: undefined,
    dockerReason: DOCKER_REASON,
  },
  strategies: [worktree, clone],
  skipped: [{ strategy: 'container', reason: DOCKER_REASON }],
  sharedDir: [
    { ...point(1, 5.9), collisions: 0, corruptedLockfiles: 0 },
    { ...point(2, 7.2, ['agent-1: npm test failed: ENOENT node_modules/.bin/vitest']), collisions: 1, corruptedLockfiles: 0 },
    { ...point(4, 4.1, ['agent-0: npm ci exited 1', 'agent-2: build failed', 'agent-3: npm ci exited 1']), collisions: 3, corruptedLockfiles: 1 },
  ],
  failures: [],
  seconds: 312.4,
};

/** Only the worktree, measured without fetch or throughput, and no shared-dir baseline. */
export const sparseResults: BenchResults = {
  ...sampleResults,
  subject: { kind: 'fixture', preset: 'tiny' },
  quick: true,
  agents: [],
  strategies: [{ ...worktree, fetch: undefined, throughput: [] }],
  skipped: [
    { strategy: 'clone', reason: 'not asked for (--strategies worktree)' },
    { strategy: 'container', reason: DOCKER_REASON },
  ],
  sharedDir: [],
};

/** Nothing measured at all. */
export const emptyResults: BenchResults = { ...sparseResults, strategies: [], skipped: [{ strategy: 'worktree', reason: 'interrupted' }] };

/**
 * A quick bench: one agent count; the clone's agents all failed (a failed measurement), the
 * shared directory's failed as they do, and the policy's conclusion.
 */
export const quickResults: BenchResults = {
  ...sampleResults,
  quick: true,
  agents: [2],
  strategies: [
    { ...worktree, throughput: [point(2, 42.1)] },
    { ...clone, throughput: [{ ...point(2, 0, ['agent-2-0: npm ci exited 1: ENOENT', 'agent-2-1: npm ci exited 1: ENOENT']), tasks: 2, failed: 'agent-2-0: npm ci exited 1: ENOENT' }] },
  ],
  sharedDir: [{ ...point(2, 0, ['agent-1: npm ci exited 254', 'agent-2: build failed']), tasks: 2, collisions: 4, corruptedLockfiles: 0 }],
  failures: [
    { scenario: 'clone (blobless): 2 agent(s) at once', strategy: 'clone', error: 'agent-2-0: npm ci exited 1: ENOENT' },
    { scenario: 'container: create and destroy', strategy: 'container', error: 'No such image: isolane/base:bookworm', cleanupError: 'no lane named c-container-0' },
  ],
  conclusion: {
    workload: 'default',
    agents: 6,
    strategy: 'worktree',
    reasons: ['trusted local development: lanes share one object store (least disk) and one fetch serves every lane: worktree'],
  },
};
