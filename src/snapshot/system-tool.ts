import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

/** What a system tool run needs from the caller (a Context fits). */
export interface ToolEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

export interface ToolResult {
  readonly ok: boolean;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  /** One line for a message: stderr's last line, or how the run ended (timeout, signal, not found). */
  readonly why: string;
}

/** mount, umount and losetup live in sbin, which an ordinary PATH often lacks. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const TIMEOUT_MS = 30_000;

export function toolPath(env: ToolEnv['env']): string {
  const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean);
  return [...dirs, ...SBIN.filter((d) => !dirs.includes(d))].join(':');
}

/**
 * Runs a system tool: argv array, PATH plus sbin, C locale (messages are matched), nothing else
 * of the caller's environment, a timeout escalating to SIGKILL. Never throws for a failed run.
 */
export async function runTool(sys: ToolEnv, cmd: string, args: readonly string[]): Promise<ToolResult> {
  const { execa } = await import('execa'); // loaded when a process really runs: not at start-up
  const result = await execa(cmd, args, {
    env: { PATH: toolPath(sys.env), LC_ALL: 'C' },
    extendEnv: false,
    // fuse-overlayfs daemonises: its daemon must not hold our stdout open, or we wait for it.
    stdin: 'ignore',
    stdout: 'ignore',
    reject: false,
    timeout: TIMEOUT_MS,
    forceKillAfterDelay: 2_000,
    ...(sys.signal ? { cancelSignal: sys.signal } : {}),
  });
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
  const ended = result.timedOut ? `timed out after ${TIMEOUT_MS} ms` : result.isCanceled ? 'cancelled' : result.signal ? `killed by ${result.signal}` : undefined;
  const why = ended ?? last ?? (result.exitCode === undefined ? result.shortMessage : `exit ${result.exitCode}`);
  return { ok: result.exitCode === 0, exitCode: result.exitCode, stderr, why: `${cmd}: ${why}` };
}

/** The tool's full path on the PATH runTool uses, or undefined when it is not installed. */
export async function findTool(env: ToolEnv['env'], name: string): Promise<string | undefined> {
  for (const dir of toolPath(env).split(':')) {
    if (!path.isAbsolute(dir)) continue; // a relative PATH entry depends on the cwd
    const file = path.join(dir, name);
    const found = await fsp.access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return file;
  }
  return undefined;
}
