import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';
import { IsolaneError, isIsolaneError } from '../errors.js';
import { assertLaneName, assertUserRevision, headsRef, laneBranch } from '../git/names.js';
import { resolveRevisions } from '../git/resolve.js';
import type { StrategyChoice } from '../policy/choose.js';
import { plainChoice } from '../policy/plain-choice.js';
import { checkpoint } from './checkpoint.js';
import { pathExists } from './fs-util.js';
import { ensureLanesRoot } from './lanes-root.js';
import { prepare, release, reserve } from '../resources/lifecycle.js';
import { laneEnvironment } from '../resources/env/lane-env.js';

export interface UpOptions {
  /** Start point; default: the base branch. */
  readonly from?: string;
  /** A strategy name, or auto; default: isolane.yaml's `strategy`. */
  readonly strategy?: string;
  /** A workload of isolane.yaml: the policy chooses its strategy (src/policy/). */
  readonly workload?: string;
}

/**
 * Creates a lane. The lane lock makes concurrent `up`s of one name exclusive; the record is
 * written as `creating` before anything else exists, so an interrupted `up` is always found and
 * cleaned up by the next `up` or `down` of that lane.
 */
export async function up(project: Project, lane: string, opts: UpOptions = {}): Promise<LaneRecord> {
  assertLaneName(lane);
  if (opts.from !== undefined) assertUserRevision(opts.from);
  const { ctx, journal } = project;
  const asked = { ...(opts.strategy ? { strategy: opts.strategy } : {}), ...(opts.workload ? { workload: opts.workload } : {}) };
  // The policy (its facts, schemas and stored bench) loads only when it has something to decide.
  const choice: StrategyChoice = plainChoice(project, asked) ?? (await (await import('../policy/choose.js')).chooseStrategy(project, asked));
  if (choice.decision) ctx.logger.debug(`workload ${choice.decision.workload.name}: ${choice.strategy} (${choice.decision.reasons.at(-1)?.text ?? ''})`);
  const strategy = await project.strategy(choice.strategy);
  const probe = await project.plugin(strategy.name).probe(project.probeKit(choice.strategy));
  if (!probe.available) {
    throw new IsolaneError('STRATEGY_UNAVAILABLE', `the ${strategy.name} strategy cannot run here: ${probe.reason ?? 'unknown reason'}`);
  }
  // Wait for whoever holds the lane (a concurrent up or down, an ls, or a git left running by a
  // killed isolane); then the record says whether the lane exists.
  const laneLock = await project.tryLaneLock(lane, ctx.lockTimeoutMs);
  if (!laneLock) {
    throw new IsolaneError('LANE_BUSY', `lane ${lane} is busy: another isolane process has held it for ${ctx.lockTimeoutMs} ms`, {
      hint: `wait for it, then see \`isolane ls\``,
    });
  }
  let recorded = false;
  try {
    await journal.removeStaleTemps(lane);
    const existing = await journal.read(lane);
    recorded = existing !== undefined;
    if (existing?.state === 'creating') {
      // Nobody holds the lane lock, so the process that wrote this record died mid-way.
      ctx.logger.progress(`cleaning up an interrupted creation of lane ${lane}`);
      const old = await project.strategy(existing.strategy);
      await old.destroy(existing, { force: true, halfMade: true });
      await release(project, existing);
      await journal.remove(lane);
      recorded = false;
    } else if (existing) {
      throw new IsolaneError('LANE_EXISTS', `lane ${lane} already exists at ${existing.path}`, {
        hint: `use it (\`isolane path ${lane}\`), or remove it first with \`isolane down ${lane}\``,
      });
    }

    const base = await project.baseBranch();
    const branch = laneBranch(project.config.branchPrefix, lane);
    const lanePath = project.lanePath(lane);
    const startOid = await resolveStart(project, opts.from ?? base, branch, lane);
    await ensureLanesRoot(project.lanesRootFacts(), (name) => project.isOurLane(name));
    if (await pathExists(lanePath)) {
      throw new IsolaneError('LANE_EXISTS', `lane ${lane} already exists: ${lanePath} is already there`, {
        hint: 'pick another lane name, or move that directory away',
      });
    }

    const intent: LaneRecord = {
      version: 1,
      lane,
      strategy: strategy.name,
      branch,
      base,
      startOid,
      path: lanePath,
      createdAt: ctx.now().toISOString(),
      state: 'creating',
      ...(choice.decision ? { workload: choice.decision.workload.name, reasons: choice.decision.reasons.map((r) => `${r.source}: ${r.text}`) } : {}),
    };
    await journal.write(intent);
    recorded = true;
    await checkpoint(ctx, 'up:journaled');
    let record = intent;
    try {
      // What the lane will hold is recorded before any of it is made.
      record = await reserve(project, intent);
      if (record !== intent) await journal.write(record);
      ctx.logger.progress(`creating lane ${lane} (${strategy.name}) at ${lanePath}`);
      const place = await strategy.create({ lane, branch, startOid, path: lanePath, env: laneEnvironment(record, project.config, strategy.workdir ?? lanePath), publish: Object.values(record.resources?.ports ?? {}) });
      record = { ...record, place };
      await checkpoint(ctx, 'up:created');
      record = await prepare(project, record, strategy);
    } catch (e) {
      // Made whole, its set-up failed: it stays, recorded as setup-failed, for a look and `isolane setup`.
      if (isIsolaneError(e, 'SETUP_FAILED')) throw e;
      await strategy.destroy(record, { force: true, halfMade: true }).catch((undoError: unknown) => {
        ctx.logger.warn(`could not undo the partial lane ${lane}: ${String(undoError)}; \`isolane down ${lane}\` finishes the job`);
        throw e;
      });
      await release(project, record);
      await journal.remove(lane);
      recorded = false;
      throw e;
    }
    const ready: LaneRecord = { ...record, state: 'ready' };
    await journal.write(ready);
    return ready;
  } finally {
    // A lane that does not exist keeps no lock file behind.
    if (recorded) await laneLock.release();
    else await laneLock.releaseAndRemove();
  }
}

/** Resolves the start point and checks the lane's branch is free, with one git call. */
async function resolveStart(project: Project, rev: string, branch: string, lane: string): Promise<string> {
  const [start, existing] = await resolveRevisions(project.ctx, project.repo.root, [`${rev}^{commit}`, headsRef(branch)]);
  if (!start) {
    throw new IsolaneError('BAD_REF', `${JSON.stringify(rev)} does not name a commit in ${project.repo.root}`, {
      hint: 'pass an existing branch, tag or commit with --from (git branch -a lists branches)',
    });
  }
  if (existing) {
    throw new IsolaneError('LANE_EXISTS', `lane ${lane} already exists: branch ${branch} is already there (not made by isolane, or left by an earlier lane)`, {
      hint: `pick another lane name, or delete the branch with \`git branch -d ${branch}\` if it holds nothing you need`,
    });
  }
  return start.oid;
}
