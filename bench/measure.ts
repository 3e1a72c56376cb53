import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DEFAULT_IMAGE } from '../src/config/schema.js';
import { imagePresent } from '../src/docker/image.js';
import { Isolane } from '../src/index.js';
import type { BenchEnv } from './env.js';
import { hostFacts } from './host.js';
import { RESULTS_VERSION, type BenchResults, type DiskMeasure, type FetchMeasure, type SharedDirPoint, type StrategyMeasure, type StrategyName, type ThroughputPoint } from './results.js';
import { fetchLatency } from './scenarios/fetch.js';
import { contenders, diskOf, lifecycle, rawDisk } from './scenarios/strategies.js';
import { addNodeProject, runAgents, sharedDirBaseline } from './scenarios/throughput.js';
import { prepareSubject, type SubjectSpec } from './subject.js';

/** Where the agents' Node project sits in the bench's copy of the repository (a name no project uses). */
const PROJECT_DIR = 'isolane-bench-app';
/** Container lanes run the agents' Node project in this image (`isolane image build --node`). */
export const NODE_IMAGE = `${DEFAULT_IMAGE}-node`;

export interface MeasureOptions {
  readonly subject: SubjectSpec;
  readonly strategies: readonly StrategyName[];
  readonly agents: readonly number[];
  readonly rounds: number;
  readonly quick: boolean;
  /** The clone.mode to measure clone lanes in (the repository's own setting). */
  readonly cloneMode: 'full' | 'reference' | 'blobless';
  /** A directory of the bench's own; everything it makes goes there. */
  readonly work: string;
  readonly isolaneVersion: string;
  /** Progress for a watching human: the step now under way. */
  readonly onStep: (step: string) => void;
}

/**
 * Runs every scenario for every strategy asked for on a private copy of the subject: lane
 * create/destroy beside the raw tools, disk for 1 and N lanes, fetch latency, and N agents at once
 * in isolated lanes and in one shared checkout.
 */
export async function measure(opts: MeasureOptions): Promise<BenchResults> {
  const started = performance.now();
  const { onStep } = opts;
  onStep('preparing the repository (a private copy: yours is never touched)');
  const s = await prepareSubject(opts.subject, opts.work, (pusher, env) => addNodeProject(pusher, env, PROJECT_DIR));
  const host = await hostFacts(opts.work, s.env);
  const { createContext } = await import('../src/context.js');
  const { dockerClient } = await import('../src/docker/client.js');
  const docker = host.docker === undefined ? undefined : dockerClient(createContext({ env: s.env })).docker;
  const e: BenchEnv = { root: s.root, upstream: s.upstream, lanesRoot: s.lanesRoot, rawRoot: path.join(path.dirname(s.lanesRoot), 'raw.lanes'), env: s.env, rounds: opts.rounds, onRound: (label, i) => onStep(`${label}: round ${i}/${opts.rounds}`) };

  const skipped: Array<{ strategy: StrategyName; reason: string }> = [];
  if (opts.strategies.includes('container') && !docker) skipped.push({ strategy: 'container', reason: host.dockerReason ?? 'no Docker engine' });
  // One contender per strategy; clone in the mode the repository is configured for, since that
  // is the measurement the policy will read.
  const chosen = contenders(e, docker).filter((c) => opts.strategies.includes(c.strategy) && (c.strategy !== 'clone' || c.mode === opts.cloneMode));
  const yamlFile = path.join(s.root, 'isolane.yaml');
  const measured: StrategyMeasure[] = [];
  for (const c of chosen) {
    await fsp.writeFile(yamlFile, c.yaml);
    const iso = await Isolane.open({ cwd: s.root, env: s.env });
    const { create, destroy } = await lifecycle(e, c, iso);
    onStep(`${c.label}: disk of 1 lane`);
    const one = { ...(await diskOf(e, iso, ['disk-one'])), rawFsBytesPerLane: await rawDisk(e, c) };
    await c.raw.cleanup?.();
    await iso.down('disk-one', { force: true });
    const notes: string[] = [];
    const runsAgents = c.strategy !== 'container' || (docker !== undefined && (await imagePresent(docker, NODE_IMAGE)));
    if (!runsAgents) notes.push(`throughput not measured: the agents' task needs Node.js in the container, and ${NODE_IMAGE} is not here (\`isolane image build --node\` makes it)`);
    if (c.strategy === 'container' && runsAgents) await fsp.writeFile(yamlFile, `${c.yaml}container:\n  image: ${NODE_IMAGE}\n`);
    const agentsIso = await Isolane.open({ cwd: s.root, env: s.env });
    // The lanes of the largest agent count also give disk and fetch for N lanes, before the agents
    // start (their installs would count as lane disk).
    const most = Math.max(...opts.agents);
    let many: DiskMeasure | undefined;
    let fetch: FetchMeasure | undefined;
    const throughput: ThroughputPoint[] = [];
    for (const n of opts.agents) {
      const names = Array.from({ length: n }, (_, i) => `agent-${n}-${i}`);
      onStep(`${c.label}: making ${n} lane(s)`);
      if (n === most) {
        many = await diskOf(e, agentsIso, names);
        onStep(`${c.label}: fetch latency, ${n} lane(s)`);
        fetch = await fetchLatency(s, c.strategy, names.map((l) => agentsIso.project.lanePath(l)), { rounds: Math.max(2, Math.min(opts.rounds, 5)), commits: 5, tag: c.strategy });
      } else {
        for (const name of names) await agentsIso.up(name);
      }
      if (runsAgents) {
        onStep(`${c.label}: ${n} agent(s) at once`);
        const slots = names.map((name) => ({ name, run: (argv: readonly string[]) => agentsIso.run(name, argv, { stdio: 'pipe' }) }));
        throughput.push(await runAgents(slots, { projectDir: PROJECT_DIR }));
      }
      onStep(`${c.label}: removing ${n} lane(s)`);
      for (const name of names) await agentsIso.down(name, { force: true });
    }
    if (!many) throw new Error('no agent count to measure N lanes with');
    measured.push({ strategy: c.strategy, label: c.label, ...(c.mode ? { mode: c.mode } : {}), create, destroy, disk: { one, many }, ...(fetch ? { fetch } : {}), throughput, notes });
  }
  await fsp.rm(yamlFile, { force: true });

  const sharedDir: SharedDirPoint[] = [];
  for (const n of opts.agents) {
    onStep(`shared directory: ${n} agent(s) in one checkout`);
    sharedDir.push(await sharedDirBaseline(s.root, n, { projectDir: PROJECT_DIR, env: s.env }));
  }
  return {
    version: RESULTS_VERSION,
    createdAt: new Date().toISOString(),
    isolaneVersion: opts.isolaneVersion,
    subject: opts.subject.kind === 'fixture' ? { kind: 'fixture', preset: opts.subject.preset } : { kind: 'repo', path: opts.subject.path },
    quick: opts.quick,
    rounds: opts.rounds,
    agents: opts.agents,
    host,
    strategies: measured,
    skipped,
    sharedDir,
    seconds: (performance.now() - started) / 1000,
  };

}
