/**
 * Shared helpers for the git-level validation, concurrency and crash tests: facts about a lane
 * read straight from disk and git (never through isolane), and a CLI process that can be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { CLI, exists, type TestRepo } from './repo.js';

export const BRANCH_PREFIX = 'isolane/';

/** The journal directory: `<repo>/.git/isolane/lanes`. */
export function journalDir(repo: TestRepo): string {
  return path.join(repo.root, '.git', 'isolane', 'lanes');
}

export interface WorktreeFact {
  readonly path: string;
  readonly head: string | undefined;
  readonly branch: string | undefined;
}

/** `git worktree list --porcelain`, parsed independently of src/git/parse.ts. */
export async function worktrees(repo: TestRepo): Promise<WorktreeFact[]> {
  const out = await repo.git(['worktree', 'list', '--porcelain']);
  return out
    .split('\n\n')
    .map((block) => block.split('\n').filter(Boolean))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const field = (key: string): string | undefined => lines.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1);
      return { path: field('worktree') ?? '', head: field('HEAD'), branch: field('branch') };
    });
}

/** Every ref under refs/heads/isolane/, as `refname oid`. */
export async function laneBranches(repo: TestRepo): Promise<Map<string, string>> {
  const out = await repo.git(['for-each-ref', '--format=%(refname) %(objectname)', `refs/heads/${BRANCH_PREFIX}`]);
  const map = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [ref, oid] = line.split(' ');
    map.set(ref!, oid!);
  }
  return map;
}

/** Files in the journal directory (records, temp files, locks); [] when it does not exist. */
export async function journalFiles(repo: TestRepo): Promise<string[]> {
  return fsp.readdir(journalDir(repo)).then(
    (names) => names.sort(),
    () => [],
  );
}

export interface RecordJson {
  readonly lane: string;
  readonly state: string;
  readonly branch: string;
  readonly path: string;
  readonly startOid: string;
}

export async function readRecord(repo: TestRepo, lane: string): Promise<RecordJson | undefined> {
  const text = await fsp.readFile(path.join(journalDir(repo), `${lane}.json`), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as RecordJson);
}

export interface LaneFacts {
  readonly record: RecordJson | undefined;
  /** Temp files of interrupted record writes, `<lane>.json.<pid>.<hex>.tmp`. */
  readonly tempRecords: string[];
  readonly worktree: WorktreeFact | undefined;
  readonly branchOid: string | undefined;
  readonly dir: boolean;
  /** git's administrative directory for the worktree, `.git/worktrees/<lane>`. */
  readonly adminDir: boolean;
}

export async function laneFacts(repo: TestRepo, lane: string): Promise<LaneFacts> {
  const lanePath = path.join(repo.lanesRoot, lane);
  const [record, files, wts, branches, dir, adminDir] = await Promise.all([
    readRecord(repo, lane),
    journalFiles(repo),
    worktrees(repo),
    laneBranches(repo),
    exists(lanePath),
    exists(path.join(repo.root, '.git', 'worktrees', lane)),
  ]);
  return {
    record,
    tempRecords: files.filter((f) => f.startsWith(`${lane}.json.`)),
    worktree: wts.find((w) => w.path === lanePath),
    branchOid: branches.get(`refs/heads/${BRANCH_PREFIX}${lane}`),
    dir,
    adminDir,
  };
}

/**
 * Nothing of the lane is left: no record, worktree (nor git's admin dir for it), branch or
 * directory. Temp records of interrupted writes are checked separately (see crash.test.ts).
 */
export async function expectNoLane(repo: TestRepo, lane: string): Promise<void> {
  const f = await laneFacts(repo, lane);
  expect({ lane, record: f.record, worktree: f.worktree, branchOid: f.branchOid, dir: f.dir, adminDir: f.adminDir }).toEqual({ lane, record: undefined, worktree: undefined, branchOid: undefined, dir: false, adminDir: false });
}

/** A normal lane: ready record, registered worktree on its branch at `oid`, files checked out and clean. */
export async function expectReadyLane(repo: TestRepo, lane: string, oid: string, files: readonly string[] = ['README.md', 'src/app.js', 'package.json']): Promise<void> {
  const f = await laneFacts(repo, lane);
  const lanePath = path.join(repo.lanesRoot, lane);
  const branch = `${BRANCH_PREFIX}${lane}`;
  expect(f.record, `record of ${lane}`).toMatchObject({ lane, state: 'ready', branch, path: lanePath, startOid: oid });
  expect(f.worktree, `worktree of ${lane}`).toEqual({ path: lanePath, head: oid, branch: `refs/heads/${branch}` });
  expect(f.branchOid, `branch ${branch}`).toBe(oid);
  for (const file of files) expect(await exists(path.join(lanePath, file)), `${lane}/${file}`).toBe(true);
  // Checked out, not just registered: a --no-checkout worktree never reset shows every file as deleted.
  expect(await repo.git(['status', '--porcelain'], lanePath), `git status in ${lane}`).toBe('');
}

export interface LsEntry {
  readonly lane: string;
  readonly state: string;
  readonly branch?: string;
  readonly path: string;
}

export async function ls(repo: TestRepo): Promise<LsEntry[]> {
  const r = await repo.cli(['ls', '--json']);
  expect(r.code, `isolane ls --json: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as LsEntry[];
}

export async function headOid(repo: TestRepo, rev = 'main'): Promise<string> {
  return (await repo.git(['rev-parse', '--verify', `${rev}^{commit}`])).trim();
}

/** Everything a failed command could have left behind, for before/after comparison. */
export async function repoSnapshot(repo: TestRepo): Promise<Record<string, unknown>> {
  const [wts, branches, allRefs, files, lanesRoot, admin] = await Promise.all([
    repo.git(['worktree', 'list', '--porcelain']),
    laneBranches(repo),
    repo.git(['for-each-ref', '--format=%(refname) %(objectname)']),
    journalFiles(repo),
    exists(repo.lanesRoot),
    exists(path.join(repo.root, '.git', 'worktrees')),
  ]);
  return {
    worktreeList: wts,
    laneBranches: [...branches.keys()],
    refs: allRefs,
    records: files.filter((f) => f.includes('.json')),
    lanesRoot,
    worktreeAdminDir: admin,
  };
}

// ---------------------------------------------------------------------------------------------
// A CLI process that can be killed.

export interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once stderr has matched `pattern`; rejects if the process closes first. */
  waitForStderr(pattern: RegExp): Promise<void>;
  /** Resolves with how the process ended, once its streams are closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stderr(): string;
  /** How the process ended, if it has (known from its exit event, before its streams close). */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Runs `node bin/isolane.js args` in its own process group (so that the git processes it starts
 * can be found after it is killed). Nothing waits on timing: callers wait for output or exit.
 */
export function spawnCli(repo: TestRepo, args: readonly string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: repo.root,
    env: { ...repo.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => (exit = { code, signal }));
  const waiters: Array<{ pattern: RegExp; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    check();
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      check();
      for (const w of waiters.splice(0)) w.reject(new Error(`isolane ${args.join(' ')} ended (code ${code}, signal ${signal}) before stderr matched ${w.pattern}; stderr: ${err}`));
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  if (child.pid === undefined) throw new Error('could not spawn the CLI');
  return {
    child,
    pid: child.pid,
    closed,
    stderr: () => err,
    exited: () => exit,
    waitForStderr(pattern) {
      if (pattern.test(err)) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}

/** SIGKILLs the CLI process itself (not its process group), as an OOM killer or `kill -9` would. */
export async function killCli(p: Spawned): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
  return p.closed;
}

/**
 * SIGKILLs the CLI the moment `condition` (a cheap synchronous check of the disk) first holds,
 * checking it between turns of the event loop. Returns false, without killing, when the process
 * ended before the condition held.
 */
export async function killWhen(p: Spawned, condition: () => boolean): Promise<boolean> {
  let done = false;
  p.closed.then(
    () => (done = true),
    () => (done = true),
  );
  for (;;) {
    if (condition()) break;
    if (done || p.exited()) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await killCli(p);
  return true;
}

/** Live (non-zombie) processes of process group `pgid`, with their command lines. Linux only. */
export async function liveGroupMembers(pgid: number): Promise<Array<{ pid: number; cmd: string }>> {
  const names = await fsp.readdir('/proc').catch(() => [] as string[]);
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fsp.readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue;
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [state, , pgrp] = rest;
    if (Number(pgrp) !== pgid || state === 'Z') continue;
    const cmd = await fsp.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    found.push({ pid: Number(name), cmd: cmd.split('\0').join(' ').trim() });
  }
  return found;
}

/**
 * Waits until every process of the group has ended (a killed CLI's git children run on).
 * Polls a condition; the bound only turns a hang into a clear failure.
 */
export async function waitGroupGone(pgid: number, boundMs = 30_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const live = await liveGroupMembers(pgid);
    if (live.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes of killed group ${pgid} still running: ${JSON.stringify(live)}`);
    await sleep(5);
  }
}

/** Kills whatever is left of a group (cleanup only). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}
