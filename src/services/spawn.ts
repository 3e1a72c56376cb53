import { spawn } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import { IsolaneError } from '../errors.js';
import { unsafePath } from '../fs/safe-read.js';
import { procStat } from '../process/proc.js';

export interface DetachedSpec {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Its stdout and stderr are appended here (made 0600). */
  readonly logFile: string;
}

export interface Detached {
  /** Leader of its own session and process group (so also the group's id). */
  readonly pid: number;
  /** /proc/<pid>/stat field 22: with the pid, the process's identity. */
  readonly startTime: string;
}

/**
 * The one place a host service process is started: detached (setsid: its own session and
 * process group, so a stop signals all it forks and a terminal's ^C never reaches it), stdin
 * closed, output to its log, not waited for. Resource limits wrap `spec.argv` here, in one line.
 */
export async function spawnDetached(spec: DetachedSpec): Promise<Detached> {
  const [command, ...args] = spec.argv;
  if (command === undefined) throw new IsolaneError('USAGE', 'a service needs a command');
  // Never through a symlink or FIFO put at its name (a worktree lane can write into the shared `.git`).
  const log = await fsp.open(spec.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOOP' || e.code === 'ENXIO') throw unsafePath(spec.logFile, 'is a symlink or FIFO, not a log file');
    throw e;
  });
  try {
    if (!(await log.stat()).isFile()) throw unsafePath(spec.logFile, 'is not a regular file, not a log file');
    await log.chmod(0o600);
    const child = spawn(command, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', log.fd, log.fd] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? 0));
      child.once('error', reject);
    }).catch((e: NodeJS.ErrnoException) => {
      throw new IsolaneError('USAGE', `cannot start ${command}: ${e.code === 'ENOENT' ? 'no such command' : e.message}`, {
        hint: `check the service's run: in isolane.yaml (${command} must be on PATH in the lane)`,
        cause: e,
      });
    });
    child.unref();
    const stat = await procStat(pid);
    // Gone already (it exited at once): its start time is unknowable, so it reads as exited.
    return { pid, startTime: stat?.startTime ?? '0' };
  } finally {
    await log.close();
  }
}
