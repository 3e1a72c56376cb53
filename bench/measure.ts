import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { DEFAULT_IMAGE } from '../src/config/schema.js';
import { Isolane } from '../src/index.js';
import type { BenchEnv } from './env.js';
import { hostFacts } from './host.js';
import { RESULTS_VERSION, type BenchResults, type SharedDirPoint, type StrategyMeasure, type StrategyName, type ThroughputPoint } from './results.js';
import { fetchLatency } from './scenarios/fetch.js';
import { contenders, diskOf, lifecycle, type Contender } from './scenarios/strategies.js';
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
  /** A directory of the bench's own; everything it makes goes there. */
  readonly work: string;
  readonly isolaneVersion: string;
  /** Progress for a watching human: the step now under way. */
  readonly onStep: (step: string) => void;
}

async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  return docker.getImage(ref).inspect().then(
    () => true,
    (e: { statusCode?: number }) => {
      if (e.statusCode === 404) return false;
      throw e;
    },
  );
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
  const e: BenchEnv = { root: s.root, upstream: s.upstream, lanesRoot: s.lanesRoot, env: s.env, rounds: opts.rounds, onRound: (label, i) => onStep(`${label}: round ${i}/${opts.rounds}`) };

  const skipped: Array<{ strategy: StrategyName; reason: string }> = [];
  if (opts.strategies.includes('container') && !docker) skipped.push({ strategy: 'container', reason: host.dockerReason ?? 'no Docker engine' });
  // Quick: one contender per strategy. Full: every clone mode too (create, destroy, disk).
  const chosen = contenders(e, docker).filter((c) => opts.strategies.includes(c.strategy) && (c.strategy !== 'clone' || c.mode === 'full' || !opts.quick));
  const manyLanes = Math.max(2, ...opts.agents);
  const yamlFile = path.join(s.root, 'isolane.yaml');
  const measured: StrategyMeasure[] = [];
  for (const c of chosen) {
    await fsp.writeFile(yamlFile, c.yaml);
    const iso = await Isolane.open({ cwd: s.root, env: s.env });
    const { create, destroy } = await lifecycle(e, c, iso);
    onStep(`${c.label}: disk of 1 lane`);
    const one = await diskOf(e, iso, ['disk-one']);
    await iso.down('disk-one', { force: true });
    onStep(`${c.label}: disk of ${manyLanes} lanes`);
    const lanes = Array.from({ length: manyLanes }, (_, i) => `disk-${i}`);
    const many = await diskOf(e, iso, lanes);
    const notes: string[] = [];
    const isDefaultMode = c.strategy !== 'clone' || c.mode === 'full';
    let fetch: StrategyMeasure['fetch'];
    let throughput: ThroughputPoint[] = [];
    if (isDefaultMode) {
      onStep(`${c.label}: fetch latency, ${manyLanes} lanes`);
      const paths = lanes.map((l) => iso.project.lanePath(l));
      fetch = await fetchLatency(s, c.strategy, paths, { rounds: Math.max(2, Math.min(opts.rounds, 5)), commits: 5, tag: c.strategy });
    }
    for (const lane of lanes) await iso.down(lane, { force: true });
    if (isDefaultMode) throughput = await throughputOf(c, s.root, docker, opts, notes);
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

  async function throughputOf(c: Contender, root: string, engine: Docker | undefined, o: MeasureOptions, notes: string[]): Promise<ThroughputPoint[]> {
    let yaml = c.yaml;
    if (c.strategy === 'container') {
      if (!engine || !(await imagePresent(engine, NODE_IMAGE))) {
        notes.push(`throughput not measured: the agents' task needs Node.js in the container, and ${NODE_IMAGE} is not here (\`isolane image build --node\` makes it)`);
        return [];
      }
      yaml = `${yaml}container:\n  image: ${NODE_IMAGE}\n`;
    }
    await fsp.writeFile(path.join(root, 'isolane.yaml'), yaml);
    const iso = await Isolane.open({ cwd: root, env: s.env });
    const points: ThroughputPoint[] = [];
    for (const n of o.agents) {
      onStep(`${c.label}: ${n} agent(s) at once`);
      const names = Array.from({ length: n }, (_, i) => `agent-${n}-${i}`);
      for (const name of names) await iso.up(name);
      const slots = names.map((name) => ({ name, run: (argv: readonly string[]) => iso.run(name, argv, { stdio: 'pipe' }) }));
      points.push(await runAgents(slots, { projectDir: PROJECT_DIR }));
      for (const name of names) await iso.down(name, { force: true });
    }
    return points;
  }
}
