import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { Isolane } from '../src/index.js';
import type { BenchEnv } from './env.js';
import { diskOf, rawDisk } from './lane-disk.js';
import type { DiskMeasure, FetchMeasure, ScenarioFailure, StrategyMeasure, ThroughputPoint } from './results.js';
import { fetchLatency } from './scenarios/fetch.js';
import { lifecycle, yamlFor, type Contender } from './scenarios/strategies.js';
import { runAgents } from './scenarios/throughput.js';
import type { Subject } from './subject.js';

export interface StrategyRun {
  readonly e: BenchEnv;
  readonly s: Subject;
  readonly c: Contender;
  readonly docker: Docker | undefined;
  readonly agents: readonly number[];
  readonly rounds: number;
  /** Where the agents' Node project sits in the checkout. */
  readonly projectDir: string;
  /** The image container lanes run the agents' task in (it needs Node.js). */
  readonly onStep: (step: string) => void;
  /** Failed throughput points are recorded here; the strategy's other figures still count. */
  readonly failures: ScenarioFailure[];
  /** The scenario under way, for the caller to name when one throws. */
  readonly at: { scenario: string };
}

/**
 * One strategy's every scenario: create/destroy beside the raw tools, disk for 1 and N lanes,
 * fetch latency, and N agents at once. The lanes of the largest agent count also give disk and
 * fetch for N lanes, before the agents start (their installs would count as lane disk).
 */
export async function measureStrategy(run: StrategyRun): Promise<StrategyMeasure> {
  const { e, s, c, docker, onStep, at } = run;
  const yamlFile = path.join(s.root, 'isolane.yaml');
  at.scenario = 'create and destroy';
  await fsp.writeFile(yamlFile, c.yaml);
  const iso = await Isolane.open({ cwd: s.root, env: s.env });
  const { create, destroy } = await lifecycle(e, c, iso);
  at.scenario = 'disk of 1 lane';
  onStep(`${c.label}: disk of 1 lane`);
  const one = { ...(await diskOf(e, iso, ['disk-one'], docker)), rawFsBytesPerLane: await rawDisk(e, c.raw, c.strategy, docker) };
  await c.raw.cleanup?.();
  await iso.down('disk-one', { force: true });
  const notes: string[] = [];
  const runsAgents = c.agents?.missing === undefined;
  if (c.agents?.missing !== undefined) notes.push(c.agents.missing);
  if (c.agents?.settings) await fsp.writeFile(yamlFile, yamlFor(c.strategy, c.agents.settings));
  const agentsIso = await Isolane.open({ cwd: s.root, env: s.env });
  const most = Math.max(...run.agents);
  let many: DiskMeasure | undefined;
  let fetch: FetchMeasure | undefined;
  const throughput: ThroughputPoint[] = [];
  for (const n of run.agents) {
    const names = Array.from({ length: n }, (_, i) => `agent-${n}-${i}`);
    at.scenario = `${n} lane(s)`;
    onStep(`${c.label}: making ${n} lane(s)`);
    if (n === most) {
      at.scenario = `disk of ${n} lanes`;
      many = await diskOf(e, agentsIso, names, docker);
      at.scenario = `fetch latency, ${n} lanes`;
      onStep(`${c.label}: fetch latency, ${n} lane(s)`);
      fetch = await fetchLatency(s, c.sharesFetch, names.map((l) => agentsIso.project.lanePath(l)), { rounds: Math.max(2, Math.min(run.rounds, 5)), commits: 5, tag: c.strategy });
    } else {
      for (const name of names) await agentsIso.up(name);
    }
    if (runsAgents) {
      at.scenario = `${n} agent(s) at once`;
      onStep(`${c.label}: ${n} agent(s) at once`);
      const slots = names.map((name) => ({ name, run: (argv: readonly string[]) => agentsIso.run(name, argv, { stdio: 'pipe' }) }));
      const point = await runAgents(slots, { projectDir: run.projectDir });
      throughput.push(point);
      if (point.failed !== undefined) run.failures.push({ scenario: `${c.label}: ${n} agent(s) at once`, strategy: c.strategy, error: point.failed });
    }
    at.scenario = `removing ${n} lane(s)`;
    onStep(`${c.label}: removing ${n} lane(s)`);
    for (const name of names) await agentsIso.down(name, { force: true });
  }
  if (!many) throw new Error('no agent count to measure N lanes with');
  return { strategy: c.strategy, label: c.label, create, destroy, disk: { one, many }, ...(fetch ? { fetch } : {}), throughput, notes };
}

/** After a strategy failed: removes every lane it left, so the next strategy starts clean. */
export async function removeLanes(s: Subject, c: Contender): Promise<void> {
  const iso = await Isolane.open({ cwd: s.root, env: s.env });
  const errors: unknown[] = [];
  for (const lane of await iso.list()) await iso.down(lane.lane, { force: true }).catch((e: unknown) => errors.push(e));
  await c.raw.cleanup?.().catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} clean-up steps failed`);
}
