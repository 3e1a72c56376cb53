import { promises as fsp } from 'node:fs';
import { listening } from '../resources/ports/bindable.js';
import { parseDuration } from '../duration.js';
import type { Detached } from './spawn.js';
import type { ReadyConfig } from './schema.js';
import type { ServiceRunner } from './runner.js';

export type Readiness = 'healthy' | 'unhealthy' | 'exited';

/** Where a service's checks reach it: 127.0.0.1 at the leased port (a container lane publishes it at the same number). */
export function serviceUrl(port: number | undefined, ready: ReadyConfig | undefined): string | undefined {
  if (port === undefined) return undefined;
  return `http://127.0.0.1:${port}${ready && 'http' in ready ? ready.http : '/'}`;
}

export function readyTimeoutMs(ready: ReadyConfig | undefined): number {
  const ms = parseDuration(ready?.timeout ?? '60s');
  return typeof ms === 'number' ? ms : 60_000;
}

/** One look: does the check pass now? `logFrom` is where this run's output begins in the log. */
export async function probeOnce(ready: ReadyConfig | undefined, port: number | undefined, logFile: string, logFrom: number): Promise<boolean> {
  if (!ready) return true; // no check: alive is ready
  if ('http' in ready) {
    if (port === undefined) return false;
    // A timer of our own, not AbortSignal.timeout's unref'd one: a request left hanging by a
    // proxy (a container's published port before its server listens) must not let the process exit.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 2000);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${ready.http}`, { signal: controller.signal, redirect: 'manual' });
      await res.body?.cancel();
      return res.status < 500;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
  if ('port' in ready) return port !== undefined && listening(port, 1000);
  return new RegExp(ready.log, 'm').test(await readLogFrom(logFile, logFrom));
}

/** The log from `offset` on (at most its last 1 MiB), never through a symlink. */
async function readLogFrom(file: string, offset: number): Promise<string> {
  const limit = 1 << 20;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, fsp.constants.O_RDONLY | fsp.constants.O_NOFOLLOW | fsp.constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) return '';
    const start = Math.max(offset, st.size - limit);
    const buffer = Buffer.alloc(Math.max(0, st.size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

/** The log's size now: where the next run's output will begin. */
export async function logSize(file: string): Promise<number> {
  return (await fsp.lstat(file).catch(() => undefined))?.size ?? 0;
}

/**
 * Polls the check until it passes, the process is gone, or the timeout: healthy, exited or
 * unhealthy (alive, never ready in time).
 */
export async function waitReady(
  runner: ServiceRunner,
  proc: Detached,
  check: { readonly ready: ReadyConfig | undefined; readonly port: number | undefined; readonly logFile: string; readonly logFrom: number },
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<Readiness> {
  const deadline = Date.now() + readyTimeoutMs(check.ready);
  for (;;) {
    if (!(await runner.alive(proc.pid, proc.startTime))) return 'exited';
    if (await probeOnce(check.ready, check.port, check.logFile, check.logFrom)) {
      // Ready, and still the same process (a server that answered and died at once is not healthy).
      return (await runner.alive(proc.pid, proc.startTime)) ? 'healthy' : 'exited';
    }
    if (Date.now() >= deadline) return 'unhealthy';
    await sleep(200, signal);
  }
}
