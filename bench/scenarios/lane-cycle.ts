import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Isolane } from '../../src/index.js';
import type { BenchEnv } from '../env.js';
import { paired, type PairedResult } from '../paired.js';
import { rawGit, rawNode } from '../raw-git.js';


/** bin/isolane.js of this package, found upwards from here (this file runs from dist/ and, in tests, from source). */
function findCli(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'bin', 'isolane.js'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('bin/isolane.js not found above the bench');
    dir = parent;
  }
  return path.join(dir, 'bin', 'isolane.js');
}

export const CLI = findCli();

/** The raw equivalent of one lane's life: what the seed article's two-step cleanup does. */
async function rawCycle(e: BenchEnv, name: string): Promise<void> {
  const dir = path.join(e.rawRoot, `raw-${name}`);
  await rawGit(e.root, ['worktree', 'add', '-q', '-b', `raw/${name}`, dir, 'HEAD'], e.env);
  await rawGit(e.root, ['worktree', 'remove', dir], e.env);
  await rawGit(e.root, ['branch', '-q', '-D', `raw/${name}`], e.env);
}

/** (a) library up + down against plain git worktree add / remove / branch -D. */
export async function libraryCycle(e: BenchEnv): Promise<PairedResult> {
  const iso = await Isolane.open({ cwd: e.root, env: e.env });
  return paired(
    {
      name: 'isolane library up+down',
      fn: async (i) => {
        const lane = await iso.up(`lib-${i}`);
        await lane.down();
      },
    },
    { name: 'git worktree add+remove+branch -D', fn: (i) => rawCycle(e, `lib-${i}`) },
    { rounds: e.rounds, onRound: (i) => e.onRound?.('library up+down', i) },
  );
}

/** (b) the CLI (a Node process each) against the same plain git commands. */
export async function cliCycle(e: BenchEnv): Promise<PairedResult> {
  return paired(
    {
      name: 'isolane CLI up+down',
      fn: async (i) => {
        await rawNode([CLI, 'up', `cli-${i}`], e.root, e.env);
        await rawNode([CLI, 'down', `cli-${i}`], e.root, e.env);
      },
    },
    { name: 'git worktree add+remove+branch -D', fn: (i) => rawCycle(e, `cli-${i}`) },
    { rounds: e.rounds, onRound: (i) => e.onRound?.('CLI up+down', i) },
  );
}

/** (c) `isolane --version` against `node -e 0`: what start-up costs beyond Node's own. */
export async function startup(e: BenchEnv): Promise<PairedResult> {
  return paired(
    { name: 'isolane --version', fn: () => rawNode([CLI, '--version'], e.root, e.env) },
    { name: 'node -e 0', fn: () => rawNode(['-e', '0'], e.root, e.env) },
    { rounds: e.rounds * 2, onRound: (i) => e.onRound?.('start-up', i) },
  );
}
