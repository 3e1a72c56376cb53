import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { cachedRepo, isPresetName, type PresetName } from '../fixtures/generate-repo.js';
import { createContext } from '../src/context.js';
import { DEFAULT_IMAGE } from '../src/config/schema.js';
import { dockerClient, probeDocker } from '../src/docker/client.js';
import { benchMarkdown, benchTable, strategyTableMarkdown, strategyTableText, type BenchRow, type StrategyRow } from './report.js';
import { overhead } from './reports/format.js';
import { markdownTable } from './reports/markdown.js';
import { cliOverheadTable } from './reports/model.js';
import { layout } from './reports/text.js';
import type { CliOverhead } from './results.js';
import { cliOverhead } from './scenarios/cli-overhead.js';
import { strategyTable } from './scenarios/strategies.js';
import { snapshotGoals, type SnapshotGoals } from './scenarios/snapshot-goals.js';
import type { BenchEnv } from './env.js';
import { cliCycle, libraryCycle, startup } from './scenarios/lane-cycle.js';

const execFileP = promisify(execFile);

/** isolane's overhead over the raw equivalent, per strategy, for create and destroy. */
const STRATEGY_GOAL = 1.2;

/** `npm run bench [-- --fixture medium --rounds 10 --json out.json --markdown out.md]` */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixture: { type: 'string', default: 'medium' },
      rounds: { type: 'string', default: '10' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      scenarios: { type: 'string', default: 'cycle,strategies,cli' },
      // The CLI overhead scenario: lanes of its `ls` over many, and tmpfs (default) or the normal disk.
      'cli-lanes': { type: 'string', default: '64' },
      'cli-fs': { type: 'string', default: 'tmpfs' },
    },
  });
  const preset = values.fixture;
  if (!isPresetName(preset)) throw new Error(`--fixture must be tiny, small, medium or large, not ${preset}`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);
  const cliLanes = Number(values['cli-lanes']);
  if (!Number.isInteger(cliLanes) || cliLanes < 2 || cliLanes > 1000) throw new Error(`--cli-lanes must be a whole number from 2 to 1000, not ${values['cli-lanes']}`);
  if (values['cli-fs'] !== 'tmpfs' && values['cli-fs'] !== 'disk') throw new Error(`--cli-fs must be tmpfs or disk, not ${values['cli-fs']}`);

  const tty = process.stderr.isTTY;
  const say = (m: string): void => {
    if (tty) process.stderr.write(`\r\x1b[K${m}`);
  };
  say(`preparing the ${preset} fixture (generated once, then cached)...`);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-bench-'));
  try {
    const env = await prepare(preset, work);
    const e: BenchEnv = { ...env, rounds, onRound: (label, i) => say(`${label}: round ${i}`) };
    const scenarios = new Set((values.scenarios ?? '').split(','));
    const rows: BenchRow[] = [];
    if (scenarios.has('cycle')) {
      const start = await startup(e);
      rows.push({ scenario: '(a) library up+down', result: await libraryCycle(e), goal: 1.15 });
      rows.push({
        scenario: '(b) CLI up+down',
        result: await cliCycle(e),
        note: `two CLI processes per round; Node start-up alone (node -e 0) is ${start.b.p50.toFixed(1)} ms p50 each in this run`,
      });
      rows.push({ scenario: '(c) start-up', result: start, goal: 1.5 });
    }
    let strategies: StrategyRow[] = [];
    let dockerNote = '';
    if (scenarios.has('strategies')) {
      const probe = await probeDocker(createContext({ env: process.env }));
      const docker = probe.available ? dockerClient(createContext({ env: process.env })).docker : undefined;
      // A strategy that cannot be measured here (no engine, no image) is said, and the rest measured.
      const table = await strategyTable(e, docker, { image: DEFAULT_IMAGE, agentImage: `${DEFAULT_IMAGE}-node` });
      strategies = table.results;
      dockerNote = table.skipped.join('\n  ');
    }
    let cli: CliOverhead | undefined;
    if (scenarios.has('cli')) {
      // Without an engine (or its image) the scenario notes why the container rows are missing.
      cli = await cliOverhead({
        source: e.root,
        env: e.env,
        work,
        rounds,
        lanes: cliLanes,
        strategies: ['worktree', 'clone', 'container'],
        images: { image: DEFAULT_IMAGE, agentImage: `${DEFAULT_IMAGE}-node` },
        tmpfs: values['cli-fs'] === 'tmpfs',
        onStep: say,
      });
    }
    let snap: SnapshotGoals | { skipped: string } | undefined;
    if (scenarios.has('snapshot')) snap = await snapshotGoals(e);
    say('');
    const host = `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${(await execFileP('git', ['version'])).stdout.trim()}`;
    const out: string[] = [`isolane bench: ${preset} fixture, ${rounds} interleaved rounds per scenario (${host})`];
    if (rows.length > 0) out.push('', benchTable(rows));
    if (strategies.length > 0) out.push('', 'lane create/destroy per strategy, beside the raw tools:', strategyTableText(strategies, STRATEGY_GOAL));
    if (dockerNote) out.push(`  ${dockerNote}`);
    if (cli) out.push('', layout(cliOverheadTable(cli)));
    if (snap) out.push('', ...snapshotLines(snap));
    process.stdout.write(`${out.join('\n')}\n`);
    if (values.json) await fsp.writeFile(values.json, `${JSON.stringify({ preset, rounds, host, rows, strategies, dockerNote, ...(cli ? { cliOverhead: cli } : {}) }, null, 2)}\n`);
    if (values.markdown) {
      const md = [rows.length > 0 ? benchMarkdown(rows) : '', strategies.length > 0 ? strategyTableMarkdown(strategies, STRATEGY_GOAL) : '', dockerNote, cli ? markdownTable(cliOverheadTable(cli)) : ''];
      await fsp.writeFile(values.markdown, `${md.filter(Boolean).join('\n\n')}\n`);
    }
    const missed = [
      ...rows.filter((r) => r.goal !== undefined && r.result.ratio.p50 > r.goal).map((r) => r.scenario),
      ...strategies.filter((s) => s.create.ratio.p50 > STRATEGY_GOAL || s.destroy.ratio.p50 > STRATEGY_GOAL).map((s) => s.label),
      ...(snap && !('skipped' in snap) ? snapshotMisses(snap) : []),
      ...(cli?.rows.filter((r) => !r.met).map((r) => r.command) ?? []),
    ];
    if (missed.length > 0) process.stdout.write(`\ngoal missed: ${missed.join(', ')}\n`);
  } finally {
    await fsp.rm(work, { recursive: true, force: true, maxRetries: 3 }).catch((e: unknown) => {
      process.stderr.write(`could not remove ${work}: ${String(e)}\n`);
    });
  }
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** The snapshot strategy's figures, each beside its goal (README: Benchmarks). */
function snapshotLines(s: SnapshotGoals | { skipped: string }): string[] {
  if ('skipped' in s) return [`snapshot goals not measured: ${s.skipped}`];
  return [
    'snapshot lanes (another lane shares the base; the first lane of a commit also checks it out):',
    `  library up          p50 ${ms(s.create.a.p50)} (goal < 50 ms); raw equivalent ${ms(s.create.b.p50)}, ratio ${overhead(s.create.ratio.p50)}`,
    `  CLI up              p50 ${ms(s.cliUp.a.p50)} (goal < 250 ms); node start-up + raw ${ms(s.cliUp.b.p50)}, ratio ${overhead(s.cliUp.ratio.p50)}`,
    `  first git status    p50 ${ms(s.firstStatus.a.p50)} against ${ms(s.firstStatus.b.p50)} in a worktree lane, ratio ${s.firstStatus.ratio.p50.toFixed(2)}x (goal <= 2x)`,
    `  disk beyond index   ${(s.diskBytesBeyondIndex / 1024).toFixed(0)} KiB per lane (goal < 1 MiB)`,
    `  first lane (base)   ${ms(s.firstLaneMs)}`,
  ];
}

function snapshotMisses(s: SnapshotGoals): string[] {
  return [
    ...(s.create.a.p50 >= 50 ? ['snapshot library up'] : []),
    ...(s.cliUp.a.p50 >= 250 ? ['snapshot CLI up'] : []),
    ...(s.firstStatus.ratio.p50 > 2 ? ['snapshot first status'] : []),
    ...(s.diskBytesBeyondIndex >= 2 ** 20 ? ['snapshot disk'] : []),
  ];
}

/** A private clone of the cached fixture, with a HOME of its own so user config stays out. */
async function prepare(preset: PresetName, work: string): Promise<Omit<BenchEnv, 'rounds'>> {
  const source = await cachedRepo(preset);
  const home = path.join(work, 'home');
  await fsp.mkdir(home);
  await fsp.writeFile(path.join(home, '.gitconfig'), '[user]\n\tname = isolane bench\n\temail = bench@isolane.invalid\n[gc]\n\tauto = 0\n');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  const root = path.join(work, 'repo');
  await execFileP('git', ['clone', '--quiet', '--', source, root], { env, timeout: 600_000 });
  // Like a repository of one's own: no origin, so clone lanes come from it by real transport,
  // as the raw equivalents do.
  await execFileP('git', ['remote', 'remove', 'origin'], { cwd: root, env });
  return { root, lanesRoot: path.join(work, 'repo.lanes'), rawRoot: path.join(work, 'raw.lanes'), env };
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
