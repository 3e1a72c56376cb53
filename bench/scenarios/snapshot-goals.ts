import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { snapshot } from '../../strategies/snapshot.js';
import { Isolane } from '../../src/index.js';
import type { BenchEnv } from '../env.js';
import { paired, type PairedResult } from '../paired.js';
import { rawGit, rawNode } from '../raw-git.js';
import { CLI } from './lane-cycle.js';

const execFileP = promisify(execFile);

/** What the snapshot strategy promises, measured on one fixture (see README, Benchmarks). */
export interface SnapshotGoals {
  /** The library's `up` beside the same lane made by hand, while another lane shares the base. */
  readonly create: PairedResult;
  /** `isolane up` through the CLI (a Node process) beside Node's start-up plus the raw commands. */
  readonly cliUp: PairedResult;
  /** The first `git status` in a fresh snapshot lane (a) beside one in a fresh worktree lane (b). */
  readonly firstStatus: PairedResult;
  /** Blocks one lane adds beyond its index: its layer (upper and work) and its worktree admin dir. */
  readonly diskBytesBeyondIndex: number;
  /** The base checkout, made once per commit by its first lane. */
  readonly firstLaneMs: number;
}

/** Blocks under `dir`, each inode once, symlinks not followed; `skip` left out. */
async function blocks(dir: string, skip: (p: string) => boolean = () => false): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (at: string): Promise<void> => {
    if (skip(at)) return;
    const st = await fsp.lstat(at).catch(() => undefined);
    if (!st || seen.has(`${st.dev}:${st.ino}`)) return;
    seen.add(`${st.dev}:${st.ino}`);
    total += st.blocks * 512;
    if (st.isDirectory()) for (const name of await fsp.readdir(at)) await walk(path.join(at, name));
  };
  await walk(dir);
  return total;
}

/** Measures the snapshot strategy's goals on the bench's copy of a fixture; undefined when it cannot run here (with why). */
export async function snapshotGoals(e: BenchEnv): Promise<SnapshotGoals | { skipped: string }> {
  const places = { root: e.root, source: e.upstream ?? e.root, scratch: e.rawRoot, env: e.env, tag: path.basename(path.dirname(e.root)), image: '', agentImage: '', git: (args: readonly string[], cwd = e.root) => rawGit(cwd, args, e.env) };
  const variants = await snapshot.bench(places);
  if ('skipped' in variants) return variants;
  const raw = variants[0]?.raw;
  if (!raw) return { skipped: 'the snapshot plug-in offers no bench variant' };
  await fsp.mkdir(e.rawRoot, { recursive: true });
  await fsp.writeFile(path.join(e.root, 'isolane.yaml'), 'strategy: snapshot\n');
  const iso = await Isolane.open({ cwd: e.root, env: e.env });
  const started = performance.now();
  const keeper = await iso.up('snap-keep');
  const firstLaneMs = performance.now() - started;
  const rawDir = (kind: string, i: number): string => path.join(e.rawRoot, `raw-snap-${kind}-${i}`);
  await raw.create(rawDir('keep', 0), 90_000);
  try {
    const create = await paired(
      { name: 'isolane up (library)', fn: async (i) => void (await iso.up(`lib-${i}`)), after: async (i) => void (await iso.down(`lib-${i}`)) },
      { name: raw.name, fn: (i) => raw.create(rawDir('c', i), i), after: (i) => raw.destroy(rawDir('c', i), i) },
      { rounds: e.rounds, onRound: (i) => e.onRound?.('snapshot create (library)', i) },
    );
    const cliUp = await paired(
      { name: 'isolane up (CLI)', fn: (i) => rawNode([CLI, 'up', `cli-${i}`], e.root, e.env), after: (i) => rawNode([CLI, 'down', `cli-${i}`], e.root, e.env) },
      {
        name: `node -e 0 + ${raw.name.split(' / ')[0] ?? raw.name}`,
        fn: async (i) => {
          await rawNode(['-e', '0'], e.root, e.env);
          await raw.create(rawDir('n', i), i + 40_000);
        },
        after: (i) => raw.destroy(rawDir('n', i), i + 40_000),
      },
      { rounds: e.rounds, onRound: (i) => e.onRound?.('snapshot up (CLI)', i) },
    );
    const status = async (dir: string): Promise<void> => void (await execFileP('git', ['status', '--porcelain'], { cwd: dir, env: e.env, maxBuffer: 64 * 2 ** 20 }));
    const firstStatus = await paired(
      { name: 'first git status, snapshot lane', before: async (i) => void (await iso.up(`st-s-${i}`)), fn: (i) => status(iso.project.lanePath(`st-s-${i}`)), after: async (i) => void (await iso.down(`st-s-${i}`)) },
      { name: 'first git status, worktree lane', before: async (i) => void (await iso.up(`st-w-${i}`, { strategy: 'worktree' })), fn: (i) => status(iso.project.lanePath(`st-w-${i}`)), after: async (i) => void (await iso.down(`st-w-${i}`)) },
      { rounds: e.rounds, onRound: (i) => e.onRound?.('first git status', i) },
    );
    const layer = path.join(iso.project.stateDir, 'strategies', 'snapshot', 'lanes', 'snap-keep');
    const admin = (await execFileP('git', ['rev-parse', '--path-format=absolute', '--git-dir'], { cwd: keeper.path, env: e.env })).stdout.trim();
    const diskBytesBeyondIndex = (await blocks(layer)) + (await blocks(admin, (p) => p === path.join(admin, 'index')));
    return { create, cliUp, firstStatus, diskBytesBeyondIndex, firstLaneMs };
  } finally {
    await iso.down('snap-keep', { force: true });
    await raw.destroy(rawDir('keep', 0), 90_000);
    await raw.cleanup?.();
    await fsp.rm(path.join(e.root, 'isolane.yaml'), { force: true });
  }
}
