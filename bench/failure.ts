/**
 * A bench step's error and the clean-up after it: the error that caused the trouble stays in
 * front, and a clean-up that failed too rides along as secondary, never in its place (a lane
 * that could not be made also cannot be removed, and "no lane named ..." says nothing useful).
 */

/** The property that carries the secondary error on the original one. */
const CLEANUP = 'cleanupError';

/** `original`, with `cleanup` attached as its secondary error (an Error keeps its type and code). */
export function withCleanupError(original: unknown, cleanup: unknown): unknown {
  if (original instanceof Error) {
    if (!Object.hasOwn(original, CLEANUP)) Object.defineProperty(original, CLEANUP, { value: cleanup, enumerable: false });
    return original;
  }
  const wrapped = new Error(message(original));
  Object.defineProperty(wrapped, CLEANUP, { value: cleanup, enumerable: false });
  return wrapped;
}

/** The secondary error attached by withCleanupError, if any. */
export function cleanupErrorOf(e: unknown): unknown {
  return e instanceof Error && Object.hasOwn(e, CLEANUP) ? (e as Error & Record<typeof CLEANUP, unknown>)[CLEANUP] : undefined;
}

/** One line for a report: the message, and a hint when the error carries one. */
export function message(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const hint = 'hint' in e && typeof e.hint === 'string' ? ` (${e.hint})` : '';
  return `${e.message}${hint}`.replace(/\s*\n\s*/g, ' ').slice(0, 600);
}

/**
 * Runs `step`, then `cleanup` whatever happened; when both fail, the step's error is thrown with
 * the clean-up's attached.
 */
export async function withCleanup<T>(step: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await step();
  } catch (e) {
    await cleanup().catch((c: unknown) => void withCleanupError(e, c));
    throw e;
  }
  await cleanup();
  return result;
}
