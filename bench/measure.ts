import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DEFAULT_IMAGE } from '../src/config/schema.js';
import { isIsolaneError } from '../src/errors.js';
import type { BenchEnv } from './env.js';
import { cleanupErrorOf, message, withCleanupError } from './failure.js';
import { hostFacts } from './host.js';
import { measureStrategy, removeLanes } from './measure-strategy.js';
import { RESULTS_VERSION, type BenchResults, type CliOverhead, type DependencyPoint, type ScenarioFailure, type SharedDirPoint, type StrategyMeasure, type StrategyName } from './results.js';
import { cliOverhead } from './scenarios/cli-overhead.js';
import { contenders } from './scenarios/strategies.js';
import { dependencyScenario } from './scenarios/dependencies.js';
import { addNodeProject, sharedDirBaseline } from './scenarios/throughput.js';
import { prepareSubject, type SubjectSpec } from './subject.js';

/** Where the agents' Node project sits in the bench's copy of the repository (a name no project uses). */
const PROJECT_DIR = 'isolane-bench-app';
/** Rounds of the dependencies scenario at most (each makes six lanes with an install, a build and the tests). */
const DEPENDENCY_ROUNDS = 5;
/** Container lanes run the agents' Node project in this image (`isolane image build --node`). */
export const NODE_IMAGE = `${DEFAULT_IMAGE}-node`;

export interface MeasureOptions {
  readonly subject: SubjectSpec;
  readonly strategies: readonly StrategyName[];
  readonly agents: readonly number[];
  readonly rounds: number;
  /** Lanes of the CLI overhead scenario's `ls` over many lanes. */
  readonly cliLanes: number;
  readonly quick: boolean;
  /** Per strategy, the bench variant the repository's settings make (its plug-in's `variant`): the measurement the policy will read. */
  readonly variants: Readonly<Record<string, string>>;
  /** The image of container lanes (the repository's container.image). */
  readonly image: string;
  /** A directory of the bench's own; everything it makes goes there. */
  readonly work: string;
  readonly isolaneVersion: string;
  /** Progress for a watching human: the step now under way. */
  readonly onStep: (step: string) => void;
}

/** A failed scenario for the results: its error first, a clean-up error beside it. */
function failure(scenario: string, strategy: StrategyName | undefined, e: unknown): ScenarioFailure {
  const cleanup = cleanupErrorOf(e);
  return { scenario, ...(strategy ? { strategy } : {}), error: message(e), ...(cleanup === undefined ? {} : { cleanupError: message(cleanup) }) };
}

/** The user's isolane.yaml in the copy, put back after the contenders wrote theirs (a tracked file left changed would make the copy dirty). */
async function keepFile(file: string): Promise<() => Promise<void>> {
  const before = await fsp.readFile(file).catch(() => undefined);
  return () => (before === undefined ? fsp.rm(file, { force: true }) : fsp.writeFile(file, before));
}

/**
 * Runs every scenario for every strategy asked for on a private copy of the subject: lane
 * create/destroy beside the raw tools, disk for 1 and N lanes, fetch latency, and N agents at once
 * in isolated lanes and in one shared checkout. A scenario that fails is recorded in `failures`
 * (with the strategy's lanes removed) and the others are still measured.
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

  const failures: ScenarioFailure[] = [];
  // First, while nothing else of the bench's runs: each command through the CLI, on a tmpfs of its own.
  let cli: CliOverhead | undefined;
  try {
    cli = await cliOverhead({ source: s.upstream, env: s.env, work: opts.work, rounds: opts.rounds, lanes: opts.cliLanes, strategies: opts.strategies, variants: opts.variants, images: { image: opts.image, agentImage: NODE_IMAGE }, onStep });
  } catch (err) {
    if (isIsolaneError(err, 'INTERRUPTED')) throw err;
    failures.push(failure('CLI overhead', undefined, err));
  }
  const all = await contenders(e, { image: opts.image, agentImage: NODE_IMAGE });
  const skipped = all.skipped.filter((k) => opts.strategies.includes(k.strategy));
  // One contender per strategy: the variant the repository is configured for.
  const chosen = all.contenders.filter((c) => opts.strategies.includes(c.strategy) && (opts.variants[c.strategy] ?? c.strategy) === c.label);
  const restoreYaml = await keepFile(path.join(s.root, 'isolane.yaml'));
  const measured: StrategyMeasure[] = [];
  for (const c of chosen) {
    const at = { scenario: 'start' };
    try {
      measured.push(await measureStrategy({ e, s, c, docker, agents: opts.agents, rounds: opts.rounds, projectDir: PROJECT_DIR, onStep, failures, at }));
    } catch (err) {
      if (isIsolaneError(err, 'INTERRUPTED')) throw err;
      onStep(`${c.label}: ${at.scenario} failed; removing its lanes`);
      await removeLanes(s, c).catch((cleanup: unknown) => void withCleanupError(err, cleanup));
      failures.push(failure(`${c.label}: ${at.scenario}`, c.strategy, err));
    }
  }
  await restoreYaml();

  const sharedDir: SharedDirPoint[] = [];
  for (const n of opts.agents) {
    onStep(`shared directory: ${n} agent(s) in one checkout`);
    try {
      sharedDir.push(await sharedDirBaseline(s.root, n, { projectDir: PROJECT_DIR, env: s.env }));
    } catch (err) {
      if (isIsolaneError(err, 'INTERRUPTED')) throw err;
      failures.push(failure(`shared directory: ${n} agent(s)`, undefined, err));
    }
  }
  // Lane creation with dependencies per share mode: a minute or two, so not in a quick run.
  let dependencies: DependencyPoint[] | undefined;
  if (!opts.quick) {
    try {
      dependencies = await dependencyScenario(opts.work, s.env, Math.min(opts.rounds, DEPENDENCY_ROUNDS), onStep);
      for (const d of dependencies) if (d.failed !== undefined) failures.push(failure(`dependencies: ${d.mode}`, undefined, new Error(`the lane's build or tests failed, so its time is no result: ${d.failed}`)));
    } catch (err) {
      if (isIsolaneError(err, 'INTERRUPTED')) throw err;
      failures.push(failure('dependencies (share modes)', undefined, err));
    }
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
    ...(cli ? { cliOverhead: cli } : {}),
    ...(dependencies ? { dependencies } : {}),
    failures,
    seconds: (performance.now() - started) / 1000,
  };
}
