import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface BusyUser {
  readonly pid: number;
  /** The process's name (/proc/<pid>/comm). */
  readonly command: string;
  /** How it uses the mount: its cwd, root, executable or an open file there. */
  readonly uses: string;
}

const MAX_USERS = 5;

/**
 * Processes this one can see that use something at or below `dir` (their cwd, root, executable
 * or an open file): what keeps an unmount busy. Best effort, for the message only: processes of
 * other users are invisible without root, and a mount held by another mount namespace is not
 * found at all.
 */
export async function busyUsers(dir: string): Promise<BusyUser[]> {
  const inside = (p: string): boolean => p === dir || p.startsWith(dir + path.sep);
  const found: BusyUser[] = [];
  const pids = (await fsp.readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  for (const pid of pids) {
    if (found.length >= MAX_USERS) break;
    const uses = await usesOf(pid, inside);
    if (uses === undefined) continue;
    const command = (await fsp.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
    found.push({ pid: Number(pid), command, uses });
  }
  return found;
}

async function usesOf(pid: string, inside: (p: string) => boolean): Promise<string | undefined> {
  const link = (p: string): Promise<string | undefined> => fsp.readlink(`/proc/${pid}/${p}`).catch(() => undefined);
  for (const what of ['cwd', 'root', 'exe'] as const) {
    const target = await link(what);
    if (target !== undefined && what === 'root' && target === '/') continue;
    if (target !== undefined && inside(target)) return `${what} ${target}`;
  }
  const fds = await fsp.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await link(`fd/${fd}`);
    if (target !== undefined && inside(target)) return `open file ${target}`;
  }
  return undefined;
}

export function describeBusyUsers(users: readonly BusyUser[]): string {
  return users.map((u) => `${u.command} (pid ${u.pid}, ${u.uses})`).join(', ');
}
