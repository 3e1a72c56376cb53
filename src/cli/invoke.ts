import { createContext, type Context } from '../context.js';
import { cliLogger, renderError } from './output.js';

/** Test hook: pause at a named checkpoint so a crash test can kill the process there. */
function checkpointFromEnv(): Context['checkpoint'] {
  const wanted = process.env.ISOLANE_TEST_CHECKPOINT;
  if (!wanted) return undefined;
  return async (name) => {
    if (name !== wanted) return;
    process.stderr.write(`checkpoint ${name}\n`);
    await new Promise(() => setInterval(() => {}, 60_000)); // wait, alive, to be killed
  };
}

/** The context of one CLI command, from the process's environment. */
export function cliContext(json: boolean, extra: Pick<Context, 'gitAhead'> = {}): Context {
  const checkpoint = checkpointFromEnv();
  const lockTimeout = Number(process.env.ISOLANE_LOCK_TIMEOUT);
  return createContext({
    ...extra,
    logger: cliLogger(json),
    ...(checkpoint ? { checkpoint } : {}),
    // How long to wait for a lane or the repository lock held by another process (ms).
    ...(Number.isInteger(lockTimeout) && lockTimeout >= 0 ? { lockTimeoutMs: lockTimeout } : {}),
  });
}

export type CommandFn<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<number | void>;

/**
 * Runs a lazily imported command; its errors are rendered in one place. Returns the exit status.
 * Both the commander program and the fast path (fast-path.ts) run commands through here.
 */
export async function invoke<A extends unknown[]>(load: () => Promise<CommandFn<A>>, json: boolean, args: A, extra: Pick<Context, 'gitAhead'> = {}): Promise<number> {
  try {
    const fn = await load();
    return (await fn(cliContext(json, extra), ...args)) ?? 0;
  } catch (e) {
    return renderError(e, json);
  }
}
