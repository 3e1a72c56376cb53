import { promises as fsp } from 'node:fs';

/**
 * Facts about host processes from /proc (Linux). A pid alone is not an identity: pids are
 * reused, so a process is ours only when its start time (field 22 of /proc/<pid>/stat, in
 * clock ticks since boot) is the one recorded when it started.
 */
export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z (zombie: already exited), T… */
  readonly state: string;
  readonly pgrp: number;
  readonly startTime: string;
}

/** /proc/<pid>/stat parsed, or undefined when there is no such process. */
export async function procStat(pid: number, root = '/proc'): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(`${root}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStat(text);
}

/** The command name (field 2) is in parentheses and may hold anything: fields are counted after the last `)`. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) return undefined;
  const rest = text.slice(close + 2).split(' '); // rest[0] is field 3
  const field = (n: number): string | undefined => rest[n - 3];
  const state = field(3);
  const pgrp = Number(field(5));
  const startTime = field(22);
  if (!state || !Number.isInteger(pgrp) || !startTime) return undefined;
  return { pid, state, pgrp, startTime };
}

/** The process is alive (not a zombie) and is the one that started at `startTime`. */
export async function isOurProcess(pid: number, startTime: string): Promise<boolean> {
  const stat = await procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === startTime;
}

/**
 * Live members of process group `pgrp` that started no earlier than `since` (the leader's start
 * time): the service and what it forked, never an older process of a reused id.
 */
export async function groupMembers(pgrp: number, since: string): Promise<ProcStat[]> {
  const entries = await fsp.readdir('/proc').catch(() => [] as string[]);
  const out: ProcStat[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const stat = await procStat(Number(e));
        if (stat && stat.pgrp === pgrp && stat.state !== 'Z' && BigInt(stat.startTime) >= BigInt(since)) out.push(stat);
      }),
  );
  return out;
}

/**
 * A process as isolane remembers it (an `isolane run` and its command): its pid and the start
 * time of that pid, so that a pid reused after it died is never taken for it.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly start: string;
}

export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const stat = await procStat(pid);
  return stat && stat.state !== 'Z' ? { pid, start: stat.startTime } : undefined;
}

/** The very process remembered is still running. */
export function isRunning(p: ProcessIdentity): Promise<boolean> {
  return isOurProcess(p.pid, p.start);
}
