import type { ErrorCode } from '../errors.js';

/** isolane's exit statuses, documented in the README. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  wouldLoseWork: 3,
  /** The policy found no strategy that gives a workload what it needs on this host. */
  policyUnmet: 4,
  /** The lane was made but a set-up step failed: it is kept, listed as setup-failed. */
  setupFailed: 5,
  /** `isolane sync`: a lane's rebase conflicted (it was rolled back), or would (--dry-run). */
  conflicts: 6,
  /** Stopped by a signal, after cleaning up (128 + SIGINT, as shells report it). */
  interrupted: 130,
  /** `isolane run`: isolane itself failed before the command ran (as `docker run` does). */
  runFailed: 125,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
    case 'CONFIG':
    case 'NOT_A_REPO':
    case 'BAD_REF':
      return EXIT.usage;
    case 'WOULD_LOSE_WORK':
      return EXIT.wouldLoseWork;
    case 'POLICY_UNMET':
      return EXIT.policyUnmet;
    case 'SETUP_FAILED':
      return EXIT.setupFailed;
    case 'INTERRUPTED':
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
}
