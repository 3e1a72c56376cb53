import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { isIsolaneError } from '../../errors.js';
import { execEnv } from '../env/exec-env.js';
import { laneConfinement } from '../../limits/confine.js';

export interface StepFailure {
  /** 1-based. */
  readonly step: number;
  readonly argv: readonly string[];
  /** undefined: it never ran (not found, could not start) or was stopped. */
  readonly exitCode: number | undefined;
  readonly why: string;
  /** That step's own output (stdout, then stderr). */
  readonly output: string;
}

export interface StepsResult {
  readonly failure: StepFailure | undefined;
  /** Every step's command line and output, in order: what the log keeps. */
  readonly output: string;
}

/**
 * Runs argv steps in the lane, one after another, through the strategy (inside the container
 * for container lanes), stopping at the first that fails. Output is captured for the log;
 * progress names each step on a terminal.
 */
export async function runSteps(project: Project, record: LaneRecord, strategy: Strategy, steps: readonly (readonly string[])[], what: string, signal?: AbortSignal): Promise<StepsResult> {
  const { ctx } = project;
  const env = execEnv(project, record, strategy);
  let output = '';
  let confine: Awaited<ReturnType<typeof laneConfinement>> | null = null;
  for (const [i, argv] of steps.entries()) {
    const line = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
    ctx.logger.progress(`${what} ${i + 1}/${steps.length} in lane ${record.lane}: ${line}`);
    output += `$ ${line}\n`;
    let own = '';
    const fail = (exitCode: number | undefined, why: string): StepsResult => ({ failure: { step: i + 1, argv, exitCode, why, output: own }, output: `${output}[${why}]\n` });
    let result;
    try {
      // In the lane's cgroups, as its commands are (src/limits); made once, before the first step.
      confine ??= await laneConfinement(project, record);
      result = await strategy.exec(record, argv, { ...env, stdio: 'pipe', ...(confine ? { confine } : {}), ...(signal ? { signal } : {}) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (isIsolaneError(e, 'COMMAND_NOT_FOUND') || code === 'ENOENT') return fail(undefined, `${argv[0] ?? ''}: command not found in the lane`);
      if (signal?.aborted) return fail(undefined, `stopped: ${String(signal.reason instanceof Error ? signal.reason.message : signal.reason)}`);
      return fail(undefined, `could not run: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const text of [result.stdout, result.stderr]) own += text + (text.endsWith('\n') || text === '' ? '' : '\n');
    output += own;
    if (signal?.aborted) return fail(undefined, `stopped: ${String(signal.reason instanceof Error ? signal.reason.message : signal.reason)}`);
    if (result.exitCode !== 0) return fail(result.exitCode, `exited ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}`);
  }
  return { failure: undefined, output };
}
