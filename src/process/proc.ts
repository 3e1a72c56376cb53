import { promises as fsp } from 'node:fs';

/**
 * A process as isolane remembers it: its pid and the kernel's start time of that pid (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot), so that a pid reused by another process after the
 * first one died is never taken for it.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly start: string;
}

/** The start time of `pid`, undefined when no such process exists (or /proc cannot say). */
export async function processStart(pid: number): Promise<string | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined; // exited, not yet reaped: not running
  return fields[19];
}

export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  const start = await processStart(pid);
  return start === undefined ? undefined : { pid, start };
}

/** The very process remembered is still running. */
export async function isRunning(p: ProcessIdentity): Promise<boolean> {
  return (await processStart(p.pid)) === p.start;
}
