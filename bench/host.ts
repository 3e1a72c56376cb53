import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createContext } from '../src/context.js';
import { freeBytes } from '../src/policy/facts.js';
import type { HostFacts } from './results.js';

const execFileP = promisify(execFile);

/** The filesystem type under `dir` (ext4, xfs, overlay, ...): the mount's own name for it. */
export async function filesystemType(dir: string): Promise<string> {
  // findmnt says ext4 where `stat -f` can only say ext2/ext3 (they share a magic number).
  for (const [cmd, args] of [['findmnt', ['-n', '-o', 'FSTYPE', '-T', dir]], ['stat', ['-f', '-c', '%T', '--', dir]]] as const) {
    const out = await execFileP(cmd, [...args], { timeout: 5_000 }).then((r) => r.stdout.trim(), () => '');
    if (out) return out;
  }
  return 'unknown';
}

/**
 * Whether `dir` is on ext4 without a journal. There, ext4 will not reuse an inode freed in the
 * last minute (six while its inode table block is dirty): every file made scans past each one
 * deleted lately, in kernel time, so a checkout costs what the deletions before it left
 * (README, Benchmarks). Undefined when it cannot tell.
 */
export async function ext4WithoutJournal(dir: string): Promise<boolean | undefined> {
  const out = await execFileP('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '-T', dir], { timeout: 5_000 }).then((r) => r.stdout.trim(), () => '');
  const [source = '', type] = out.split(/\s+/);
  if (type !== 'ext4' || !source.startsWith('/dev/')) return type === undefined ? undefined : false;
  const device = path.basename(source);
  const [ext4, jbd2] = await Promise.all([fsp.readdir('/proc/fs/ext4').catch(() => undefined), fsp.readdir('/proc/fs/jbd2').catch(() => undefined)]);
  if (!ext4?.includes(device) || jbd2 === undefined) return undefined;
  // jbd2 names a journal after its device and inode: vda-8.
  return !jbd2.some((j) => j.startsWith(`${device}-`));
}

/** What a reader needs to judge the numbers: machine, filesystem, tool versions, engine. */
export async function hostFacts(lanesDir: string, env: Readonly<Record<string, string | undefined>>): Promise<HostFacts> {
  const { dockerClient, probeDocker } = await import('../src/docker/client.js');
  const ctx = createContext({ env });
  const probe = await probeDocker(ctx);
  const docker = probe.available ? String((await dockerClient(ctx).docker.version()).Version) : undefined;
  const [filesystem, noJournal, free, git] = await Promise.all([
    filesystemType(lanesDir),
    ext4WithoutJournal(lanesDir),
    freeBytes(lanesDir),
    execFileP('git', ['version'], { timeout: 5_000 }).then((r) => r.stdout.trim().replace(/^git version /, '')),
  ]);
  return {
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    platform: `${os.type()} ${os.arch()}`,
    kernel: os.release(),
    filesystem: noJournal === true ? `${filesystem} (no journal)` : filesystem,
    freeDiskBytes: free ?? 0,
    node: process.version,
    git,
    docker,
    ...(probe.available ? {} : { dockerReason: probe.reason ?? 'not reachable' }),
  };
}
