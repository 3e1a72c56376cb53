import path from 'node:path';
import { rmSync } from 'node:fs';
import { quietly } from '../fs/safe-read.js';
import { pruneCacheEntries, readCacheBytes, writeCacheFileSync } from '../fs/user-cache.js';
import type { AheadCall, AheadCalls, PlanPlace } from './ahead-call.js';
import { spawnGit, type Ended } from './spawn-git.js';

/** Calls started ahead at most: `ls` reads two lanes at once where it has few (src/engine/list.ts). */
const MAX_CALLS = 2;
/** Calls a command notes at most, for its plan (`ls` of many lanes makes one per lane). */
const MAX_NOTED = 1024;
/** A plan larger than this is not ours. */
const MAX_PLAN_BYTES = 64 * 1024;
/** A plan not written for this long goes when another is written (a directory `ls` no longer runs in). */
const STALE_MS = 7 * 24 * 3600_000;

interface Started {
  readonly result: Promise<Ended>;
  readonly stop: AbortController;
  taken: boolean;
}

/**
 * git processes started before the command that needs them has loaded. `ls` spends about 7 ms
 * loading and reading its records before it can start its first `git status`, which then runs
 * for 10 ms or more: so the CLI starts, first thing, the statuses the last `ls` from the same
 * directory ran (its plan, in the user's cache: src/git/ahead-plan.ts), and a call made again the
 * same way (same key, directory, argv and options: see runGit) takes the started process's
 * result instead of running git again. Any other call runs as usual; a started process no call
 * takes is stopped when the command ends (finish). Only a lane's `git --no-optional-locks status`
 * is ever started ahead (isAheadable): it writes nothing, so one started for nothing costs only
 * its CPU, and a plan someone else wrote could run nothing else.
 */
export class GitAhead implements AheadCalls {
  private readonly started = new Map<string, Started>();
  /** The plan read: none where it could not be read or is not one. */
  private readonly planned: readonly AheadCall[];
  /** The calls this command made, in order, for the next plan. */
  private readonly made: AheadCall[] = [];
  private readonly madeIds = new Set<string>();

  private constructor(
    private readonly place: PlanPlace,
    planText: string | undefined,
    env: Readonly<Record<string, string | undefined>>,
  ) {
    this.planned = planText === undefined ? [] : parsePlan(planText, place.cwd);
    for (const call of this.planned) {
      const stop = new AbortController();
      // As runGit would start it for the command (its environment is this process's).
      const result = spawnGit({ env, heldLocks: new Set(), signal: stop.signal }, call.cwd, call.argv, call);
      this.started.set(identity(call), { result, stop, taken: false });
    }
  }

  /** Starts what the plan at `place` names. */
  static start(env: Readonly<Record<string, string | undefined>>, place: PlanPlace): GitAhead {
    return new GitAhead(place, readCacheBytes(place.file, MAX_PLAN_BYTES)?.toString('utf8'), env);
  }

  /** Keeps `made`'s first calls as the plan at `place`; a plan of none goes (the next `ls` then loads nothing for it). */
  static keep(place: PlanPlace, made: readonly AheadCall[]): void {
    const calls = made.filter((c) => isAheadable(c.argv)).slice(0, MAX_CALLS);
    if (calls.length === 0) {
      quietly(() => rmSync(place.file, { force: true }));
      return;
    }
    const plan = calls.map(({ key, cwd, argv, timeoutMs, watchFifo }) => ({ key, cwd, argv: [...argv], timeoutMs, watchFifo }));
    writeCacheFileSync(place.file, JSON.stringify({ cwd: place.cwd, calls: plan }));
    pruneCacheEntries(place.file, (name) => /^[0-9a-f]{8}\.json$/.test(name), STALE_MS);
  }

  take(call: AheadCall, signal?: AbortSignal): Promise<Ended> | undefined {
    if (!isAheadable(call.argv)) return undefined;
    const id = identity(call);
    if (this.made.length < MAX_NOTED) {
      this.made.push(call);
      this.madeIds.add(id);
    }
    const started = this.started.get(id);
    if (!started || started.taken) return undefined;
    started.taken = true;
    if (!signal) return started.result;
    const onAbort = (): void => started.stop.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return started.result.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /**
   * Stops what no call took, and keeps this command's first calls as the plan for the next, unless
   * the plan read still holds: each of its calls made again, and as many as there could be. (Lanes
   * read at once start their statuses in no fixed order: the plan is not written again for that.)
   */
  finish(): Promise<void> {
    for (const s of this.started.values()) if (!s.taken) s.stop.abort();
    const { planned } = this;
    const holds = planned.length > 0 && planned.every((c) => this.madeIds.has(identity(c))) && planned.length >= Math.min(MAX_CALLS, this.made.length);
    if (!holds) GitAhead.keep(this.place, this.made);
    return Promise.resolve();
  }
}

/**
 * `git [--git-dir=... --work-tree=... -c branch.<b>.remote=... -c branch.<b>.merge=...]
 * --no-optional-locks status ...`, as `ls` reads a lane (src/lane/inspect.ts): a plan naming any
 * other call, or any other option before `status` (a `-c core.fsmonitor=...` runs a command), is
 * not run.
 */
function isAheadable(argv: readonly string[]): boolean {
  let noLocks = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '-c' && /^branch\.[^=]+\.(?:remote|merge)=/.test(argv[i + 1] ?? '')) i++;
    else if (word === '--no-optional-locks') noLocks = true;
    else if (!/^--(?:git-dir|work-tree)=/.test(word)) break;
  }
  return noLocks && argv[i] === 'status';
}

const identity = (call: AheadCall): string => JSON.stringify([call.key, call.cwd, call.argv, call.timeoutMs, call.watchFifo]);

/** The calls of a plan written for `cwd`; none from a plan that is torn, foreign or not of this form. */
function parsePlan(text: string, cwd: string): AheadCall[] {
  const plan = quietly(() => JSON.parse(text) as unknown);
  if (typeof plan !== 'object' || plan === null || !('cwd' in plan) || plan.cwd !== cwd || !('calls' in plan) || !Array.isArray(plan.calls)) return [];
  const calls = (plan.calls as unknown[]).slice(0, MAX_CALLS);
  return calls.every(isCall) ? calls : [];
}

function isCall(value: unknown): value is AheadCall {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.key === 'string' &&
    typeof c.cwd === 'string' &&
    path.isAbsolute(c.cwd) &&
    Array.isArray(c.argv) &&
    c.argv.length <= 64 &&
    c.argv.every((a) => typeof a === 'string' && !a.includes('\0')) &&
    isAheadable(c.argv as string[]) &&
    Number.isSafeInteger(c.timeoutMs) &&
    (c.timeoutMs as number) > 0 &&
    typeof c.watchFifo === 'boolean'
  );
}
