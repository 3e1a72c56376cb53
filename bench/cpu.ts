import { readFileSync } from 'node:fs';

/** CPU time in milliseconds, user and kernel (system) apart. */
export interface Cpu {
  readonly userMs: number;
  readonly sysMs: number;
}

/**
 * Linux reports children's times in clock ticks of USER_HZ, which the kernel's ABI fixes at 100
 * per second on every architecture Node runs on (sysconf(_SC_CLK_TCK)).
 */
const TICK_MS = 10;

/**
 * CPU used so far by this process (all its threads) and by every child it has waited for, with
 * theirs: `process.resourceUsage()` sees no children, so theirs come from /proc/self/stat
 * (cutime, cstime). The kernel sums children's time in nanoseconds and truncates the total to a
 * tick when it reports it, so a difference of two readings is off by less than 10 ms each way,
 * with no bias: read means over several runs, not single short samples. Undefined off Linux.
 */
export function cpuSoFar(): Cpu | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), here from field 3 on.
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return undefined;
  const self = process.cpuUsage();
  return { userMs: self.user / 1000 + cutime * TICK_MS, sysMs: self.system / 1000 + cstime * TICK_MS };
}

/** What was used between two readings. */
export function cpuSince(before: Cpu, after: Cpu): Cpu {
  return { userMs: after.userMs - before.userMs, sysMs: after.sysMs - before.sysMs };
}

export const totalMs = (c: Cpu): number => c.userMs + c.sysMs;
