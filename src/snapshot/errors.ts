import { IsolaneError, type ErrorCode, type ErrorDetails } from '../errors.js';

/**
 * What went wrong with a snapshot layer, finer than the shared error code: the strategy
 * branches on it (a busy mount is retried after the lane's processes stop; a bad path never is).
 */
export type SnapshotFailure =
  | 'BAD_PATH' // missing, not absolute, or holding what the mount option string cannot carry
  | 'BAD_OID' // not a 40- or 64-digit lower-case hex object id
  | 'ALREADY_MOUNTED' // the target is already a mount point of something else
  | 'MOUNT_FAILED'
  | 'BUSY' // a process still uses the mount
  | 'UNMOUNT_FAILED'
  | 'COPY_FAILED'; // the reflink copy of a base failed

const CODES: Readonly<Record<SnapshotFailure, ErrorCode>> = {
  BAD_PATH: 'USAGE',
  BAD_OID: 'USAGE',
  ALREADY_MOUNTED: 'EXISTS',
  MOUNT_FAILED: 'STRATEGY_UNAVAILABLE',
  BUSY: 'LANE_BUSY',
  UNMOUNT_FAILED: 'INTERNAL',
  COPY_FAILED: 'STRATEGY_UNAVAILABLE',
};

export class SnapshotError extends IsolaneError {
  static override readonly errorClass: string = 'SnapshotError';
  override readonly name = 'SnapshotError';
  constructor(
    readonly failure: SnapshotFailure,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(CODES[failure], message, { ...details, data: { failure, ...details.data } });
  }
}

export function isSnapshotError(e: unknown, failure?: SnapshotFailure): e is SnapshotError {
  return e instanceof SnapshotError && (failure === undefined || e.failure === failure);
}
