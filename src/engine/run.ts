import type { ExecResult } from '../../strategies/strategy.js';
import { IsolaneError } from '../errors.js';
import { assertLaneName } from '../git/names.js';
import { beginActivity } from '../lane/activity.js';
import { renewClaim } from '../lane/claims.js';
import { execEnv } from '../resources/env/exec-env.js';
import { laneConfinement } from '../limits/confine.js';
import type { Project } from './project.js';
import { readyLane } from './ready-lane.js';

export { readyLane };

export interface RunOptions {
  readonly stdio?: 'inherit' | 'pipe';
  /** Attach stdin and a terminal (`isolane shell`). */
  readonly interactive?: boolean;
  /** Extra variables for the command (on top of the caller's environment). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs argv inside the lane (its directory, or its container) and returns how it ended. The lane
 * is held (shared) until the command has started, so a `down` of the lane waits for that moment
 * and a lane is never taken away between the check and the start.
 */
export async function run(project: Project, lane: string, argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  if (argv.length === 0) throw new IsolaneError('USAGE', 'no command given', { hint: `isolane run ${lane} -- <command> [args...]` });
  assertLaneName(lane);
  const { ctx } = project;
  const hold = await project.tryLaneLock(lane, ctx.lockTimeoutMs, true, true);
  if (!hold) throw new IsolaneError('LANE_BUSY', `lane ${lane} is busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`, { hint: '`isolane ls` shows its state' });
  try {
    const record = await readyLane(project, lane);
    project.checkRecord(record);
    const strategy = await project.strategy(record.strategy);
    await strategy.ready?.(record);
    // The lane's own environment (src/resources/env), its path as the command sees it.
    const { env, laneEnv } = execEnv(project, record, strategy, opts.env);
    // Its cgroups (src/limits) when isolane.yaml caps host lanes: refused, never run uncapped, when they cannot be made.
    const confine = await laneConfinement(project, record);
    // Known to be in use (gc leaves it) before the lane is let go; a claim on it is renewed.
    const [activity] = await Promise.all([beginActivity(project.stateDir, lane, opts.interactive ? 'shell' : `run ${argv[0] ?? ''}`, ctx.now()), renewClaim(project.stateDir, lane, ctx.now())]);
    try {
      return await strategy.exec(record, argv, {
        ...(confine ? { confine } : {}),
        env,
        laneEnv,
        stdio: opts.stdio ?? 'pipe',
        onStarted: (pid) => {
          void activity.started(pid).finally(() => hold.release());
        },
        ...(opts.interactive ? { interactive: true } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } finally {
      await activity.done();
    }
  } finally {
    await hold.release();
  }
}
