import { setTimeout as timersSetTimeout } from 'node:timers/promises';
import type { AheadCalls } from './git/ahead-call.js';

/**
 * Everything that varies between a CLI run, a library caller and a test is injected here,
 * so no module reads process.env or the clock on its own.
 */
export interface Logger {
  /** Progress for humans; the CLI shows it on a TTY only. */
  progress(message: string): void;
  /** Counted progress of one step (e.g. files checked out); absent where nobody watches. */
  step?(stage: string, done: number, total: number): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface Context {
  readonly cwd: string;
  /** The caller's environment; git gets a scrubbed copy (src/git/env.ts). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  /**
   * Waits `ms` milliseconds (retry back-offs, lock polling); rejects with the signal's reason
   * when `signal` aborts. Tests drive time through it instead of sleeping.
   */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Upper bound for one git call, in ms. */
  readonly gitTimeoutMs: number;
  /** How long to wait for the per-repository lock, in ms. */
  readonly lockTimeoutMs: number;
  /**
   * Descriptors of the isolane locks this operation holds. Every git child inherits them, so a
   * lock outlives an isolane process that is killed while its git is still at work.
   */
  readonly heldLocks: Set<number>;
  /** Called at named steps of long operations; crash tests pause there to kill the process. */
  readonly checkpoint?: (name: string) => Promise<void>;
  /** git calls the CLI started before the command loaded (src/git/ahead.ts); runGit takes their results. */
  readonly gitAhead?: AheadCalls;
}

export const silentLogger: Logger = { progress() {}, warn() {}, debug() {} };

export function createContext(overrides: Partial<Context> = {}): Context {
  return {
    cwd: overrides.cwd ?? process.cwd(),
    env: overrides.env ?? process.env,
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? realSleep,
    logger: overrides.logger ?? silentLogger,
    gitTimeoutMs: overrides.gitTimeoutMs ?? 120_000,
    lockTimeoutMs: overrides.lockTimeoutMs ?? 60_000,
    heldLocks: overrides.heldLocks ?? new Set(),
    ...(overrides.signal ? { signal: overrides.signal } : {}),
    ...(overrides.checkpoint ? { checkpoint: overrides.checkpoint } : {}),
    ...(overrides.gitAhead ? { gitAhead: overrides.gitAhead } : {}),
  };
}

/** The real `sleep` (node:timers/promises), the default of `createContext`. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return timersSetTimeout(ms, undefined, signal ? { signal } : {});
}
