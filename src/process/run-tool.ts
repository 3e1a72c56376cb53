import type { Context } from '../context.js';

export interface ToolResult {
  /** null when it was killed (by a signal, the timeout or the caller's cancel) or never started. */
  readonly exitCode: number | null;
  readonly stderr: string;
  /** Why it could not start or was stopped, when it was. */
  readonly error?: Error;
}

/**
 * Runs a system tool (`rm -rf`, `chown -R`) to its end with `node:child_process`, for the few
 * the hot commands run themselves: loading execa costs about 19 ms of a command's start-up. Its
 * stdout is dropped, its stderr kept (the last 64 KiB); the locks the operation holds go with it
 * (Context.heldLocks), so a tool left running by a killed isolane still holds the lane. The
 * caller's cancel and `timeoutMs` kill it (SIGTERM).
 */
export async function runTool(ctx: Context, file: string, args: readonly string[], opts: { readonly env: Readonly<Record<string, string>>; readonly timeoutMs?: number }): Promise<ToolResult> {
  // getBuiltinModule, not import(): an import() would start the ES module loader in the CommonJS CLI.
  const { spawn } = process.getBuiltinModule('node:child_process');
  return new Promise((resolve) => {
    let stderr = '';
    let error: Error | undefined;
    const child = spawn(file, [...args], {
      env: { ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe', ...ctx.heldLocks],
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-65_536);
    });
    child.once('error', (e) => {
      error = e;
    });
    child.once('close', (code) => resolve({ exitCode: code, stderr, ...(error ? { error } : {}) }));
  });
}
