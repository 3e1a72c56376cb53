/**
 * The closed set of failure codes. The CLI maps each code to an exit status in one place
 * (src/cli/exit-codes.ts); library callers branch on `code`.
 */
export type ErrorCode =
  | 'USAGE' // bad argument or lane name
  | 'CONFIG' // isolane.yaml is invalid
  | 'NOT_A_REPO' // not inside a git repository
  | 'GIT_VERSION' // git too old
  | 'GIT_FAILED' // a git command failed
  | 'BAD_REF' // a ref the user gave does not resolve to a commit
  | 'LANE_EXISTS'
  | 'LANE_NOT_FOUND'
  | 'LANE_BUSY' // another isolane process holds the lane
  | 'LANE_IN_USE' // claimed by an agent, or running a command or service: gc leaves it
  | 'LOCK_TIMEOUT'
  | 'WOULD_LOSE_WORK' // refused: uncommitted files or unmerged commits
  | 'STRATEGY_UNAVAILABLE'
  | 'LIMITS_UNAVAILABLE' // limits or budget are set but the lane's cgroups cannot be made or set here
  | 'POLICY_UNMET' // a workload's needs cannot be met on this host
  | 'DOCKER_FAILED' // the Docker engine refused or failed an operation
  | 'COMMAND_NOT_FOUND' // the command to run in a lane does not exist there (its container's image lacks it)
  | 'UNSAFE_PATH' // something a lane controls is a symlink, FIFO, device or oversized file
  | 'BAD_RECORD' // a lane record that does not match what isolane would have made
  | 'LANE_DIVERGED' // a lane's branch moved both in the lane and in the main repository
  | 'EXISTS' // a file the command would create is already there
  | 'INTERRUPTED' // stopped by SIGINT or SIGTERM, after cleaning up
  | 'SETUP_FAILED' // a lane's set-up step failed: the lane exists, listed as setup-failed
  | 'PORTS_EXHAUSTED' // no port of the range is free for a lane's lease
  | 'DATABASE_FAILED' // a lane's database branch could not be made, reached or dropped
  | 'SERVICE_FAILED' // a lane's service exited or did not become ready in time
  | 'ALREADY_WATCHED' // another `isolane watch` supervises this repository's services
  | 'INTERNAL';

export interface ErrorDetails {
  /** What to do next, shown after the message. */
  readonly hint?: string;
  readonly cause?: unknown;
  /** Structured data for --json output. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * Marks an IsolaneError however many copies of this module are loaded (the CLI's start-up bundle
 * and its command chunks each have one): isIsolaneError holds across them, where instanceof does not.
 */
const BRAND = Symbol.for('isolane.IsolaneError');

export class IsolaneError extends Error {
  /**
   * The class as written, which `instanceof` compares across copies: not the constructor's `name`,
   * which a bundler may change (GitError2) when two modules declare the same name. Each subclass
   * declares its own (test/unit/error-copies.test.ts checks); one that does not is matched by identity only.
   */
  static readonly errorClass: string = 'IsolaneError';
  override readonly name: string = 'IsolaneError';
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly data: Readonly<Record<string, unknown>> | undefined;

  /**
   * `instanceof` by brand and class name, so it holds across copies of this module as well: the
   * CLI's bundles each have one (scripts/bundle-cli.mjs), and an error thrown by one copy's code
   * is caught by another's.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || (value as { [BRAND]?: unknown })[BRAND] !== true) return false;
    const wanted = ownErrorClass(this);
    for (let proto: unknown = Object.getPrototypeOf(value); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      const ctor = (proto as { constructor?: unknown }).constructor;
      if (ctor === this || (wanted !== undefined && ownErrorClass(ctor) === wanted)) return true;
    }
    return false;
  }

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.hint = details.hint;
    this.data = details.data;
  }
}

/** The errorClass a class declares itself (not one it inherits). */
function ownErrorClass(ctor: unknown): string | undefined {
  if (typeof ctor !== 'function' || !Object.hasOwn(ctor, 'errorClass')) return undefined;
  const v = (ctor as { errorClass?: unknown }).errorClass;
  return typeof v === 'string' ? v : undefined;
}

/** A git command exited non-zero, timed out or could not start. */
export class GitError extends IsolaneError {
  static override readonly errorClass: string = 'GitError';
  override readonly name = 'GitError';
  constructor(
    readonly argv: readonly string[],
    readonly cwd: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    details: ErrorDetails = {},
  ) {
    super('GIT_FAILED', `git ${argv.slice(0, 2).join(' ')} failed in ${cwd}${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${gitReason(stderr)}`, {
      ...details,
      data: { argv, cwd, exitCode, stderr: stderr.slice(-2000), ...details.data },
    });
  }
}

/** git's own reason: its first `fatal:` or `error:` line, else its last line. */
function gitReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? 'no output';
}

/** Uncommitted files or unmerged commits stand in the way; nothing was changed. */
export class WouldLoseWorkError extends IsolaneError {
  static override readonly errorClass: string = 'WouldLoseWorkError';
  override readonly name = 'WouldLoseWorkError';
}

export function isIsolaneError(e: unknown, code?: ErrorCode): e is IsolaneError {
  return e instanceof IsolaneError && (code === undefined || e.code === code);
}
