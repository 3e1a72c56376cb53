import type { StdioOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { scrubGitEnv } from './env.js';

/** What of a command's Context starting git needs (src/context.ts). */
export interface SpawnContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Descriptors git inherits from fd 3 on: the locks the operation holds (Context.heldLocks). */
  readonly heldLocks: ReadonlySet<number>;
  readonly signal?: AbortSignal;
}

export interface SpawnOptions {
  readonly timeoutMs: number;
  /** Written to git's stdin (for --stdin and --batch modes). */
  readonly input?: string;
  /**
   * git reads files a lane controls (a work tree's .gitignore files, say): stop it as soon as it
   * blocks opening a FIFO there, rather than when the timeout runs out.
   */
  readonly watchFifo?: boolean;
  /** Variables on top of the scrubbed environment (e.g. a scratch object directory). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Linux names this kernel function as the wait channel of a process blocked opening a FIFO. */
const FIFO_WAIT = 'wait_for_partner';
/** A git that ignores SIGTERM (after a timeout or a cancel) gets SIGKILL this much later. */
const FORCE_KILL_AFTER_MS = 2_000;
/** More output than this on stdout or stderr is a runaway git: it is stopped. */
export const MAX_BUFFER = 256 * 1024 * 1024;

/** How one git process ended. */
export interface Ended {
  readonly exitCode: number | undefined;
  readonly signal: NodeJS.Signals | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** Why isolane stopped it, or could not start it, if it did. */
  readonly stopped?: 'timeout' | 'cancel' | 'fifo' | 'maxBuffer';
  readonly error?: Error;
}

/**
 * Starts one git process and collects how it ends; it never rejects. Argv arrays only, a
 * scrubbed environment, a timeout (escalating to SIGKILL) and the caller's AbortSignal.
 */
export function spawnGit(ctx: SpawnContext, cwd: string, argv: readonly string[], opts: SpawnOptions): Promise<Ended> {
  // Loaded on the first git call: commands that read only files (`path`, `env`) never load it.
  // getBuiltinModule, not import(): an import() would start the ES module loader in the CommonJS CLI.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const { timeoutMs } = opts;
  return new Promise((resolve) => {
    const env = opts.env ? { ...scrubGitEnv(ctx.env), ...opts.env } : scrubGitEnv(ctx.env);
    // fd 3 onwards: the locks this operation holds (see Context.heldLocks), inherited by git.
    const stdio: StdioOptions = [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...ctx.heldLocks];
    const child = spawn('git', [...argv], { cwd, env, stdio });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let stopped: Ended['stopped'];
    let error: Error | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    const stop = (why: NonNullable<Ended['stopped']>, signal: NodeJS.Signals = 'SIGTERM'): void => {
      if (stopped !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      stopped = why;
      child.kill(signal);
      if (signal !== 'SIGKILL') forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_BUFFER) stop('maxBuffer');
      else out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes > MAX_BUFFER) stop('maxBuffer');
      else err.push(chunk);
    });
    if (opts.input !== undefined && child.stdin) {
      // git may exit before reading all of its input (EPIPE): how it exits says what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = (): void => stop('cancel');
    if (ctx.signal?.aborted) onAbort();
    else ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const watchdog = opts.watchFifo
      ? setInterval(() => {
          void readFile(`/proc/${child.pid ?? 0}/wchan`, 'utf8').then(
            (wchan) => {
              if (wchan.trim() === FIFO_WAIT) stop('fifo', 'SIGKILL');
            },
            () => undefined, // gone already, or no /proc here: the timeout still bounds the call
          );
        }, 250)
      : undefined;
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(forceKill);
      clearInterval(watchdog);
      ctx.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(stopped ? { stopped } : {}),
        ...(error ? { error } : {}),
      });
    };
    child.on('error', (e) => {
      error ??= e;
      if (child.pid === undefined) finish(null, null); // never started (no git, a bad cwd)
    });
    child.on('close', finish);
  });
}
