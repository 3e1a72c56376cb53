import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { Isolane } from '../../src/index.js';
import { DiskTally, laneRoots, linkedInodes } from '../../src/lane/disk-walk.js';
import type { DependencyPoint } from '../results.js';
import { summarize } from '../stats.js';
import { nodeProjectFixture } from './throughput.js';

/**
 * Lane creation with dependencies, on the fixture Node project (its own repository, the project
 * at the root): a fresh `npm ci` in every lane beside each `share:` mode seeding node_modules
 * from the main checkout, then `npm install` (which finds the seed up to date). Measured: the
 * whole `up` (checkout, seed, set-up), the disk the lane really adds (inodes walked, those shared
 * with the main checkout's node_modules left out), and whether the lane's build and tests pass:
 * a fast lane that does not work is no result.
 */

/** From vendor/*.tgz, as the fixture's lockfile says: no registry, no cache needed. */
const NPM_FLAGS = ['--offline', '--no-audit', '--no-fund'];
export const DEPENDENCY_MODES = ['fresh', 'copy', 'hardlink', 'symlink', 'reflink', 'auto'] as const;
export type DependencyMode = (typeof DEPENDENCY_MODES)[number];

/** The fixture in a repository of its own; the main checkout installed once. */
async function prepareRepo(dir: string, env: Record<string, string>): Promise<string> {
  const root = path.join(dir, 'deps-repo');
  await fsp.cp(nodeProjectFixture(), root, { recursive: true, filter: (src) => !/[/\\](node_modules|dist|\.dev-server-port)$/.test(src) });
  // A rule without the trailing slash ignores a node_modules symlink too (symlink mode).
  await fsp.appendFile(path.join(root, '.gitignore'), '/node_modules\nisolane.yaml\nseed.log\n');
  const git = (args: readonly string[]) => execa('git', [...args], { cwd: root, env, extendEnv: false });
  await git(['init', '--quiet', '--initial-branch=main']);
  await git(['add', '-A']);
  await git(['commit', '--quiet', '-m', 'shop-demo']);
  await execa('npm', ['ci', ...NPM_FLAGS], { cwd: root, env, extendEnv: false });
  return root;
}

function config(mode: DependencyMode): string {
  const flags = NPM_FLAGS.join(', ');
  // What the seed left, written before npm runs: the lane's record of whether it was used.
  const seen = `[node, -e, "const fs = require('fs'); const s = fs.lstatSync('node_modules', { throwIfNoEntry: false }); fs.writeFileSync('seed.log', s ? 'seeded' : 'none')"]`;
  if (mode === 'fresh') return `setup:\n  - ${seen}\n  - [npm, ci, ${flags}]\n`;
  return `share:\n  - path: node_modules\n    mode: ${mode}\nsetup:\n  - ${seen}\n  - [npm, install, ${flags}]\n`;
}

interface Sample {
  readonly ms: number;
  readonly bytes: number;
  readonly seeded: boolean;
  readonly works: string | undefined;
}

async function oneLane(root: string, env: Record<string, string>, mode: DependencyMode, name: string, warnings: string[]): Promise<Sample> {
  await fsp.writeFile(path.join(root, 'isolane.yaml'), config(mode));
  const logger = { progress() {}, debug() {}, warn: (m: string) => void warnings.push(m) };
  const iso = await Isolane.open({ cwd: root, env, logger });
  const started = performance.now();
  const lane = await iso.up(name);
  const ms = performance.now() - started;
  try {
    const seeded = (await fsp.readFile(path.join(lane.path, 'seed.log'), 'utf8')) === 'seeded';
    const shared = await linkedInodes([path.join(root, 'node_modules')]);
    const { allocatedBytes } = await new DiskTally(shared).add(await laneRoots(lane.path));
    let works: string | undefined;
    for (const argv of [['npm', 'run', 'build'], ['npm', 'test']]) {
      const r = await execa(argv[0] ?? 'npm', argv.slice(1), { cwd: lane.path, env, extendEnv: false, reject: false });
      if (r.exitCode !== 0) {
        works = `${argv.join(' ')} exited ${String(r.exitCode)}: ${String(r.stderr).trim().split('\n').slice(-2).join(' ')}`;
        break;
      }
    }
    return { ms, bytes: allocatedBytes, seeded, works };
  } finally {
    await lane.down({ force: true });
  }
}

/** Every mode once per round, interleaved, so drift in the host hits all alike. */
export async function dependencyScenario(work: string, env: Record<string, string>, rounds: number, onStep: (step: string) => void): Promise<DependencyPoint[]> {
  const root = await prepareRepo(work, env);
  const samples = new Map<DependencyMode, Sample[]>(DEPENDENCY_MODES.map((m) => [m, []]));
  const warnings = new Map<DependencyMode, string[]>(DEPENDENCY_MODES.map((m) => [m, []]));
  for (let round = 0; round < rounds; round++) {
    for (const mode of DEPENDENCY_MODES) {
      onStep(`dependencies: ${mode}, round ${round + 1}/${rounds}`);
      samples.get(mode)?.push(await oneLane(root, env, mode, `deps-${mode}-${round}`, warnings.get(mode) ?? []));
    }
  }
  return DEPENDENCY_MODES.map((mode) => {
    const s = samples.get(mode) ?? [];
    const broken = s.find((x) => x.works !== undefined)?.works;
    const notes = [...new Set((warnings.get(mode) ?? []).map((w) => w.replace(/^lane [a-z0-9-]+: /, '')))];
    return {
      mode,
      up: summarize(s.map((x) => x.ms)),
      fsBytesPerLane: s.reduce((a, x) => a + x.bytes, 0) / Math.max(1, s.length),
      seeded: s.length > 0 && s.every((x) => x.seeded),
      ...(broken === undefined ? {} : { failed: broken }),
      notes,
    };
  });
}
