import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountsUnder } from '../../src/snapshot/mountinfo.js';
import type Docker from 'dockerode';
import { expect } from 'vitest';
import { ROOT_MARKER } from '../../src/engine/lanes-root.js';
import type { TestRepo } from './repo.js';

/** The id isolane derives for a repository (its labels and network name). */
export async function repoIdOf(repo: TestRepo): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(path.join(repo.root, '.git')).digest('hex').slice(0, 12);
}

/**
 * Nothing of any lane is left, read without isolane: no lane branch, no ref under refs/isolane/
 * lanes/, no worktree but the main one, no record, nothing in the lanes root but its marker, no
 * view a killed isolane left, and (with an engine) no labelled container. (The repository's
 * network stays for its next container lane, by design.)
 */
export async function expectNoLeaks(repo: TestRepo, docker?: Docker, what = ''): Promise<void> {
  const refs = await repo.git(['for-each-ref', '--format=%(refname)', 'refs/heads/isolane/', 'refs/isolane/lanes/']);
  expect(refs, `${what}: lane refs`).toBe('');
  const worktrees = (await repo.git(['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree '));
  expect(worktrees, `${what}: worktrees`).toEqual([`worktree ${repo.root}`]);
  const records = await fsp.readdir(path.join(repo.root, '.git', 'isolane', 'lanes')).catch(() => [] as string[]);
  expect(records.filter((f) => f.includes('.json')), `${what}: records`).toEqual([]);
  const left = await fsp.readdir(repo.lanesRoot).catch(() => [] as string[]);
  expect(left.filter((f) => f !== ROOT_MARKER), `${what}: lanes root`).toEqual([]);
  // Views are named <pid>-<repo id>-<lane>-…: this repository's only (other tests run beside this one).
  const id = await repoIdOf(repo);
  const views = (await fsp.readdir(path.join(os.tmpdir(), `isolane-views-${process.getuid?.() ?? 'user'}`)).catch(() => [] as string[])).filter((v) => v.includes(`-${id}-`));
  const stale = views.filter((v) => {
    try {
      process.kill(Number(v.split('-')[0]), 0);
      return false;
    } catch {
      return true;
    }
  });
  expect(stale, `${what}: views of dead processes`).toEqual([]);
  // Snapshot lanes: no mount of this test's left anywhere, no layer or base checkout in the state.
  const mounts = await mountsUnder(repo.dir);
  expect(mounts, `${what}: mounts`).toEqual([]);
  const snapshotState = path.join(repo.root, '.git', 'isolane', 'strategies', 'snapshot');
  for (const part of ['lanes', 'bases']) {
    const entries = await fsp.readdir(path.join(snapshotState, part)).catch(() => [] as string[]);
    expect(entries, `${what}: snapshot ${part}`).toEqual([]);
  }
  if (docker) {
    const containers = await docker.listContainers({ all: true, filters: { label: [`isolane.repo=${id}`] } });
    expect(containers.map((c) => c.Names), `${what}: containers`).toEqual([]);
  }
}
