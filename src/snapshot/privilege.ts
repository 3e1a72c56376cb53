import { promises as fsp } from 'node:fs';

/** CAP_SYS_ADMIN's bit in the capability sets of /proc/<pid>/status. */
const CAP_SYS_ADMIN = 21n;

/**
 * Whether this process may mount (the kernel overlay, a read-only bind): CAP_SYS_ADMIN in its
 * effective set. Root in an unprivileged container lacks it, so uid 0 alone proves nothing.
 */
export async function canMount(): Promise<boolean> {
  const status = await fsp.readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_SYS_ADMIN) & 1n) === 1n;
}
