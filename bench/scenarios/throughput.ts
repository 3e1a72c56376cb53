import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import * as z from 'zod';
import type { SharedDirPoint, ThroughputPoint } from '../results.js';

/**
 * The realistic agent workload: each agent runs fixtures/node-project/tools/agent-task.mjs
 * (install, build, dev server, edit with a new dependency, rebuild, test, commit) in a node
 * project that the bench repository carries (see addNodeProject). Agents run at once: one per
 * lane, or all in one shared directory for the baseline that shows what lanes are for.
 */

/** Where addNodeProject puts the project in a bench repository. */
export const DEFAULT_PROJECT_DIR = 'app';
const DEFAULT_TIMEOUT_MS = 240_000;
/** Beyond a task's own deadline: time to stop its children and print its report. */
const REPORT_GRACE_MS = 30_000;
/** Top-level entries of the fixture that are build output or local state, never copied. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.dev-server-port']);

/** How to run a command in one agent's workspace, at its checkout's root. */
export interface AgentSlot {
  readonly name: string;
  run(argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export interface ThroughputOptions {
  /** The node project's path inside the checkout, relative (it is also used inside containers). */
  readonly projectDir: string;
  /** Deadline of one agent's task. */
  readonly timeoutMs?: number;
}

/** The JSON line agent-task.mjs prints. */
const AgentReport = z.object({
  agent: z.string(),
  ok: z.boolean(),
  steps: z.array(z.object({ step: z.string(), ok: z.boolean(), ms: z.number(), detail: z.string() })),
  devServerCrashed: z.boolean(),
});
export type AgentReport = z.infer<typeof AgentReport>;

interface Outcome {
  readonly agent: string;
  /** Undefined when the task printed no report (it could not start, or was killed). */
  readonly report: AgentReport | undefined;
  /** Why it failed, for failureNotes; undefined when it succeeded. */
  readonly note: string | undefined;
}

/** Runs every slot's agent task at once and measures how many succeed per minute of wall time. */
export async function runAgents(slots: readonly AgentSlot[], opts: ThroughputOptions): Promise<ThroughputPoint> {
  const { point } = await runTasks(slots, opts);
  // Nothing succeeded: the workload could not run here, which says nothing of the strategy's speed.
  const first = point.failureNotes[0];
  return point.tasks > 0 && point.failures === point.tasks && first !== undefined ? { ...point, failed: first } : point;
}

async function runTasks(slots: readonly AgentSlot[], opts: ThroughputOptions): Promise<{ point: ThroughputPoint; outcomes: Outcome[] }> {
  if (path.isAbsolute(opts.projectDir) || opts.projectDir.split(/[\\/]/).includes('..')) {
    throw new Error(`projectDir must be a path inside the checkout, not ${opts.projectDir}`);
  }
  const names = new Set(slots.map((s) => s.name));
  if (names.size !== slots.length) throw new Error('every agent needs a name of its own: its files are named after it');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // `node` of the workspace's PATH: in a container lane, this process's execPath means nothing.
  const script = path.posix.join(opts.projectDir, 'tools', 'agent-task.mjs');
  const started = performance.now();
  const outcomes = await Promise.all(
    slots.map((slot) => runSlot(slot, ['node', script, slot.name, '--timeout-ms', String(timeoutMs)], timeoutMs + REPORT_GRACE_MS)),
  );
  const seconds = (performance.now() - started) / 1000;
  const failures = outcomes.filter((o) => o.note !== undefined).length;
  const point: ThroughputPoint = {
    agents: slots.length,
    tasks: outcomes.length,
    failures,
    seconds: round(seconds, 3),
    // Successful tasks only: a failed task delivers nothing, however fast it failed.
    tasksPerMinute: round(((outcomes.length - failures) * 60) / seconds, 3),
    failureNotes: outcomes.flatMap((o) => (o.note === undefined ? [] : [o.note])),
  };
  return { point, outcomes };
}

async function runSlot(slot: AgentSlot, argv: readonly string[], limitMs: number): Promise<Outcome> {
  const agent = slot.name;
  const failed = (note: string, report?: AgentReport): Outcome => ({ agent, report, note: `${agent}: ${note}`.slice(0, 400) });
  let timer: NodeJS.Timeout | undefined;
  // The task enforces its own deadline; this only keeps one that hangs anyway from stalling the bench.
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), limitMs);
  });
  const running = slot.run(argv);
  running.catch(() => undefined); // settled or not, after 'late' nobody awaits it
  try {
    const result = await Promise.race([running, late]);
    if (result === 'late') return failed(`no result within ${Math.round(limitMs / 1000)} s`);
    const report = parseReport(result.stdout, agent);
    if (!report) return failed(`exited ${result.exitCode} without a report: ${lastLines(result.stderr || result.stdout)}`);
    return report.ok ? { agent, report, note: undefined } : failed(describeFailure(report), report);
  } catch (e) {
    return failed(`could not run: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The task's report: the last stdout line that parses as one, for this agent. */
export function parseReport(stdout: string, agent: string): AgentReport | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = AgentReport.safeParse(JSON.parse(line));
      if (parsed.success && parsed.data.agent === agent) return parsed.data;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

/** e.g. "npm ci exited 254: npm error enoent ...; also failed: npm run build, npm test". */
function describeFailure(report: AgentReport): string {
  const failed = report.steps.filter((s) => !s.ok);
  const [first, ...rest] = failed;
  const parts = first ? [`${first.step} ${first.detail}`] : [];
  if (rest.length > 0) parts.push(`also failed: ${rest.map((s) => s.step).join(', ')}`);
  if (report.devServerCrashed && !failed.some((s) => s.step.startsWith('dev server'))) parts.push('the dev server crashed');
  return parts.join('; ') || 'not ok';
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-2).join(' | ').slice(0, 200);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface SharedDirOptions {
  /** Environment for the agents and git (PATH, HOME for npm's cache and git's config); default: this process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly projectDir?: string;
  readonly timeoutMs?: number;
}

/**
 * The baseline without lanes: `agents` agents at once in ONE checkout, which must be clean and
 * belong to the bench, as every agent shares one directory when nothing isolates them.
 * Afterwards the checkout is put back as it was: reset to the commit it had (the agents'
 * commits are dropped) and cleaned of every untracked and ignored file.
 *
 * collisions: steps that failed, over all agents (a task that left no report counts as one). Each
 * step fails in a shared directory only: alone in a lane, none does. A task runs all its steps
 * whatever failed before, so one collision can cause a few knock-on failures (a build after an
 * install another agent broke); failures of the dev server are counted once.
 *
 * corruptedLockfiles: 1 when `npm ci` refuses the project as the agents left it (package.json
 * or package-lock.json no longer parses, or the lockfile no longer satisfies package.json: the
 * lost update of concurrent `npm install`s), else 0. One shared directory has one lockfile.
 */
export async function sharedDirBaseline(sharedDir: string, agents: number, opts: SharedDirOptions = {}): Promise<SharedDirPoint> {
  if (!Number.isInteger(agents) || agents < 1) throw new RangeError(`agents must be a positive integer, not ${agents}`);
  const env = definedOnly(opts.env ?? process.env);
  const projectDir = opts.projectDir ?? DEFAULT_PROJECT_DIR;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const git = async (args: readonly string[]): Promise<string> =>
    (await execa('git', args, { cwd: sharedDir, env, extendEnv: false, stdin: 'ignore', timeout: 60_000 })).stdout;

  if ((await git(['status', '--porcelain'])) !== '') {
    throw new Error(`${sharedDir} has uncommitted changes: the shared-directory baseline resets and cleans it, so it needs a clean checkout of its own`);
  }
  const base = (await git(['rev-parse', 'HEAD'])).trim();
  const slots = Array.from({ length: agents }, (_, i): AgentSlot => {
    const name = `agent-${i + 1}`;
    return {
      name,
      run: async (argv) => {
        const [file = 'node', ...args] = argv;
        const r = await execa(file, args, { cwd: sharedDir, env, extendEnv: false, stdin: 'ignore', reject: false, timeout: timeoutMs + REPORT_GRACE_MS });
        return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
      },
    };
  });
  try {
    const { point, outcomes } = await runTasks(slots, { projectDir, timeoutMs });
    const collisions = outcomes.reduce((n, o) => n + (o.report ? o.report.steps.filter((s) => !s.ok).length : 1), 0);
    const lockfile = await lockfileRefused(path.join(sharedDir, projectDir), env);
    return {
      ...point,
      failureNotes: lockfile === undefined ? point.failureNotes : [...point.failureNotes, `lockfile: ${lockfile}`],
      collisions,
      corruptedLockfiles: lockfile === undefined ? 0 : 1,
    };
  } finally {
    // A task killed in the middle of a commit leaves git's index lock behind; nothing of ours runs now.
    await fsp.rm(path.resolve(sharedDir, (await git(['rev-parse', '--git-path', 'index.lock'])).trim()), { force: true });
    await git(['reset', '--quiet', '--hard', base]);
    await git(['clean', '--quiet', '-fdx']);
  }
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Why `npm ci` would refuse the project in `dir` (see sharedDirBaseline), or undefined when it would not. */
export async function lockfileRefused(dir: string, env: Readonly<Record<string, string>>): Promise<string | undefined> {
  // --dry-run: npm's own consistency check, no install.
  const r = await execa('npm', ['ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: { ...env, npm_config_update_notifier: 'false' },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 120_000,
  });
  if (r.exitCode === 0) return undefined;
  const code = /^npm (?:ERR!|error) code (\w+)/m.exec(r.stderr)?.[1];
  if (code !== 'EUSAGE' && code !== 'EJSONPARSE') {
    throw new Error(`npm ci --dry-run failed in ${dir} (exit ${String(r.exitCode)}): ${lastLines(r.stderr)}`);
  }
  // npm's message, without the usage text that follows it; its specifics ("Missing: x from lock
  // file") when it has some.
  const lines = r.stderr.split('\n').map((l) => l.replace(/^npm (?:ERR!|error)/, '').trim());
  const end = lines.indexOf('Clean install a project');
  const message = lines.slice(0, end < 0 ? undefined : end).filter((l) => l !== '' && !/^(code |A complete log|\/)/.test(l));
  const specific = message.filter((l) => /^(Missing|Invalid):/.test(l));
  return `${code}: ${(specific.length > 0 ? specific : message.slice(0, 1)).join('; ')}`.slice(0, 300);
}

/** fixtures/node-project of this package: found upwards from here (dist/bench/scenarios when built, bench/scenarios in tests). */
export function nodeProjectFixture(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'fixtures', 'node-project');
    if (existsSync(path.join(candidate, 'package.json')) && existsSync(path.join(dir, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('fixtures/node-project not found above the bench');
    dir = parent;
  }
}

/**
 * Copies the node project into `<repoRoot>/<dir>` and commits it, so lanes start with it. Every
 * file is added with --force: the repository's ignore rules (a .gitignore that ignores
 * package-lock.json, say) must not take files from the workload. The project's own .gitignore and
 * .gitattributes override the repository's inside it (see fixtures/node-project).
 */
export async function addNodeProject(repoRoot: string, env: Record<string, string>, dir = DEFAULT_PROJECT_DIR): Promise<void> {
  const source = nodeProjectFixture();
  const target = path.resolve(repoRoot, dir);
  if (existsSync(target)) throw new Error(`${target} exists already`);
  await fsp.cp(source, target, { recursive: true, filter: (from) => !NOT_COPIED.has(path.relative(source, from)) });
  const git = (args: readonly string[]): Promise<unknown> => execa('git', args, { cwd: repoRoot, env, extendEnv: false, stdin: 'ignore', timeout: 60_000 });
  await git(['add', '--force', '-A', '--', dir]);
  await git(['commit', '--quiet', '-m', `Add ${dir}/: the node project of the throughput benchmark`, '--', dir]);
}
