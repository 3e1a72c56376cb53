import { IsolaneError } from '../errors.js';

/** A failed engine call as isolane's error (DOCKER_FAILED), keeping the engine's words. */
export function dockerError(what: string, cause: unknown, hint?: string): IsolaneError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new IsolaneError('DOCKER_FAILED', `${what}: ${message}`, { cause, ...(hint ? { hint } : {}) });
}
