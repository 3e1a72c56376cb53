import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { summarize } from '../stats.js';
import type { FetchMeasure } from '../results.js';
import { landCommits, type Subject } from '../subject.js';

/**
 * After `commits` new commits land upstream, the time until every lane sees them. Worktree lanes
 * share the main repository's refs, so one fetch there serves them all; clone and container lanes
 * each fetch for themselves (run here from the host, in each lane's own repository). Plain git:
 * this measures what a strategy costs, and isolane adds nothing to a fetch.
 */
export async function fetchLatency(s: Subject, sharesFetch: boolean, lanes: readonly string[], opts: { rounds: number; commits: number; tag: string }): Promise<FetchMeasure> {
  // Our own lanes; a container lane's files belong to its container user, hence safe.directory.
  const git = (cwd: string, args: readonly string[]) =>
    execa('git', ['-c', `safe.directory=${cwd}`, ...args], { cwd, env: s.env, extendEnv: false, timeout: 10 * 60_000 });
  // ...and what the fetch writes there must go back to that user, or the agents in the container
  // could not commit afterwards.
  const owners = await Promise.all(lanes.map(async (dir) => ({ dir, owner: await fsp.stat(dir) })));
  const giveBack = async (): Promise<void> => {
    for (const { dir, owner } of owners) {
      if (owner.uid !== process.getuid?.()) await execa('chown', ['-R', `${owner.uid}:${owner.gid}`, '--', path.join(dir, '.git')], { timeout: 10 * 60_000 });
    }
  };
  const where = sharesFetch ? [s.root] : lanes;
  const samples: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const tip = await landCommits(s, opts.commits, `${opts.tag}-${round}`);
    const started = performance.now();
    await Promise.all(where.map((dir) => git(dir, ['fetch', '--quiet', '--no-tags', 'origin'])));
    samples.push(performance.now() - started);
    await giveBack();
    // Untimed proof that every lane sees the new tip, not only the repository that fetched.
    for (const lane of lanes) {
      const seen = (await git(lane, ['rev-parse', '--verify', '--end-of-options', `refs/remotes/origin/${s.branch}`])).stdout.trim();
      if (seen !== tip) throw new Error(`lane ${lane} sees ${seen.slice(0, 12)} after the fetch, not the new upstream tip ${tip.slice(0, 12)}`);
    }
  }
  return { lanes: lanes.length, commits: opts.commits, untilAllSee: summarize(samples), fetches: where.length };
}
