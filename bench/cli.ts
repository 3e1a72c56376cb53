import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPresetName } from '../fixtures/generate-repo.js';
import type { Context } from '../src/context.js';
import { loadConfig } from '../src/config/load.js';
import { DEFAULT_IMAGE } from '../src/config/schema.js';
import { IsolaneError } from '../src/errors.js';
import { locateRepo } from '../src/git/repo.js';
import { stateDirOf } from '../src/engine/journal.js';
import { storeBenchResults } from '../src/policy/bench-store.js';
import { STRATEGY_NAMES } from '../strategies/index.js';
import { conclude } from './conclusion.js';
import { message } from './failure.js';
import { removeContainers } from './leftovers.js';
import { measure } from './measure.js';
import { BENCH_LABEL } from './scenarios/strategies.js';
import { variantsOf } from './conclusion.js';
import { renderHtml, renderMarkdown } from './reports/index.js';
import type { BenchResults, StrategyName } from './results.js';
import type { SubjectSpec } from './subject.js';

/** Lanes of `isolane ls` over many lanes in the CLI overhead scenario (the issue's goal is set for 64). */
const CLI_LANES = 64;
const QUICK_CLI_LANES = 16;

export interface BenchCliOptions {
  readonly repo?: string;
  readonly fixture?: string;
  readonly strategies?: string;
  readonly agents?: string;
  readonly rounds?: string;
  readonly quick?: boolean;
  /** A file, or true: JSON on stdout instead of the table. */
  readonly json?: string | boolean;
  readonly markdown?: string;
  readonly html?: string;
  readonly out?: string;
}

export interface BenchOutcome {
  readonly results: BenchResults;
  /** Report files written, by kind. */
  readonly files: Readonly<Record<'json' | 'markdown' | 'html', string>>;
  /**
   * Where the policy will find these results; undefined for a fixture (it is not your
   * repository) and for a run in which a scenario failed (results.failures).
   */
  readonly stored: string | undefined;
}

function list(value: string, what: string, parse: (item: string) => boolean): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !parse(i));
  if (items.length === 0 || bad.length > 0) throw new IsolaneError('USAGE', `--${what}: ${bad.length > 0 ? `${bad.join(', ')} not understood` : 'empty'}`, { hint: `e.g. --${what} ${what === 'agents' ? '1,2,4' : 'worktree,clone'}` });
  return [...new Set(items)];
}

/** The repository around ctx.cwd, or undefined outside one. */
async function repoHere(ctx: Context): Promise<{ root: string; commonDir: string } | undefined> {
  try {
    return await locateRepo(ctx);
  } catch (e) {
    if (e instanceof IsolaneError && e.code === 'NOT_A_REPO') return undefined;
    throw e;
  }
}

/**
 * `isolane bench`: measures each strategy on this host, on a private copy of the repository
 * (yours with --repo or when run inside one, else a generated fixture), writes the reports and
 * keeps the results in the repository's isolane state for the policy.
 */
export async function runBench(ctx: Context, opts: BenchCliOptions, isolaneVersion: string, onStep: (step: string) => void): Promise<BenchOutcome> {
  const quick = opts.quick === true;
  if (opts.repo !== undefined && opts.fixture !== undefined) throw new IsolaneError('USAGE', '--repo and --fixture exclude each other', { hint: 'measure your repository or a fixture, not both' });
  if (opts.fixture !== undefined && !isPresetName(opts.fixture)) throw new IsolaneError('USAGE', `--fixture ${opts.fixture}: expected tiny, small, medium or large`);
  const strategies = list(opts.strategies ?? STRATEGY_NAMES.join(','), 'strategies', (s) => (STRATEGY_NAMES as readonly string[]).includes(s)) as StrategyName[];
  const agents = list(opts.agents ?? (quick ? '2' : '1,2,4,8'), 'agents', (a) => /^\d{1,3}$/.test(a) && Number(a) >= 1 && Number(a) <= 64).map(Number).sort((a, b) => a - b);
  const rounds = Number(opts.rounds ?? (quick ? 3 : 10));
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw new IsolaneError('USAGE', `--rounds ${String(opts.rounds)}: expected a whole number from 1 to 1000`);

  const repo = opts.repo !== undefined ? await locateRepo({ ...ctx, cwd: path.resolve(ctx.cwd, opts.repo) }) : opts.fixture === undefined ? await repoHere(ctx) : undefined;
  const subject: SubjectSpec = repo ? { kind: 'repo', path: repo.root } : { kind: 'fixture', preset: opts.fixture !== undefined && isPresetName(opts.fixture) ? opts.fixture : quick ? 'small' : 'medium' };
  const config = repo ? (await loadConfig(repo.root)).config : undefined;
  const image = config?.container.image ?? DEFAULT_IMAGE;
  const stateBench = repo ? path.join(stateDirOf(repo.commonDir), 'bench') : undefined;
  const outDir = path.resolve(ctx.cwd, opts.out ?? stateBench ?? 'isolane-bench');
  const files = {
    json: typeof opts.json === 'string' ? path.resolve(ctx.cwd, opts.json) : path.join(outDir, 'report.json'),
    markdown: path.resolve(ctx.cwd, opts.markdown ?? path.join(outDir, 'report.md')),
    html: path.resolve(ctx.cwd, opts.html ?? path.join(outDir, 'report.html')),
  };

  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-bench-'));
  try {
    const measured = await measure({ subject, strategies, agents, rounds, cliLanes: quick ? QUICK_CLI_LANES : CLI_LANES, quick, variants: variantsOf(config), image, work, isolaneVersion, onStep });
    onStep('writing the reports');
    // The reports are written whatever the policy makes of the figures (an isolane.yaml it refuses, say).
    const results: BenchResults = await conclude(ctx, measured, repo?.root).then(
      (conclusion) => ({ ...measured, conclusion }),
      (e: unknown) => ({ ...measured, failures: [...measured.failures, { scenario: 'what this means for you (the policy on these figures)', error: message(e) }] }),
    );
    for (const file of Object.values(files)) await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(files.json, `${JSON.stringify(results, null, 2)}\n`);
    await fsp.writeFile(files.markdown, renderMarkdown(results));
    await fsp.writeFile(files.html, await renderHtml(results));
    // A failed scenario's figures are not figures: the policy keeps what it had.
    const stored = repo && results.failures.length === 0 ? await storeBenchResults(stateDirOf(repo.commonDir), results) : undefined;
    return { results, files, stored };
  } finally {
    onStep('cleaning up');
    // Containers a failed run may have left: its lanes' (labelled with the bench repository's id) and the raw side's (labelled with the work directory).
    const benchRepo = await locateRepo({ ...ctx, cwd: path.join(work, 'repo') }).catch(() => undefined);
    await removeContainers(ctx, [`${BENCH_LABEL}=${path.basename(work)}`, ...(benchRepo ? [`isolane.repo=${benchRepo.id}`] : [])]);
    await removeWork(work);
  }
}

/** Container lanes leave files owned by their container user; root (or the owner) removes them all. */
async function removeWork(work: string): Promise<void> {
  await fsp.rm(work, { recursive: true, force: true, maxRetries: 3 }).catch((e: unknown) => {
    process.stderr.write(`isolane: warning: could not remove ${work}: ${String(e)}\n`);
  });
}
