import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cachedRepo, type PresetName } from '../fixtures/generate-repo.js';

export type SubjectSpec = { readonly kind: 'fixture'; readonly preset: PresetName } | { readonly kind: 'repo'; readonly path: string };

/**
 * The bench's own copy of what it measures, so the user's repository and lanes are never touched:
 * an upstream (bare, standing in for the remote every lane fetches from), the repository lanes
 * are made from (a clone of it, `origin` = upstream), and a pusher clone that lands new commits
 * upstream for the fetch scenario.
 */
export interface Subject {
  readonly upstream: string;
  readonly root: string;
  readonly lanesRoot: string;
  readonly pusher: string;
  /** The branch lanes start from. */
  readonly branch: string;
  /** HOME of the bench's own, an identity, no system config: the user's git config stays out. */
  readonly env: Record<string, string>;
}

export async function prepareSubject(spec: SubjectSpec, work: string, setUp: (pusher: string, env: Record<string, string>) => Promise<void>): Promise<Subject> {
  const home = path.join(work, 'home');
  await fsp.mkdir(home, { recursive: true });
  await fsp.writeFile(path.join(home, '.gitconfig'), '[user]\n\tname = isolane bench\n\temail = bench@isolane.invalid\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}) };
  const git = (cwd: string, args: readonly string[]) => execa('git', [...args], { cwd, env, extendEnv: false, timeout: 30 * 60_000 });
  const source = spec.kind === 'fixture' ? await cachedRepo(spec.preset) : (await git(spec.path, ['rev-parse', '--show-toplevel'])).stdout.trim();
  const upstream = path.join(work, 'upstream.git');
  const pusher = path.join(work, 'pusher');
  const root = path.join(work, 'repo');
  await git(work, ['clone', '--quiet', '--bare', '--no-local', '--', source, upstream]);
  await git(work, ['clone', '--quiet', '--', upstream, pusher]);
  const branch = (await git(pusher, ['symbolic-ref', '--short', 'HEAD'])).stdout.trim();
  await setUp(pusher, env);
  await git(pusher, ['push', '--quiet', 'origin', 'HEAD']);
  await git(work, ['clone', '--quiet', '--', upstream, root]);
  return { upstream, root, lanesRoot: path.join(work, 'repo.lanes'), pusher, branch, env };
}

/** Lands `count` new commits upstream (through the pusher) and returns the new tip. */
export async function landCommits(s: Subject, count: number, tag: string): Promise<string> {
  const git = (args: readonly string[]) => execa('git', [...args], { cwd: s.pusher, env: s.env, extendEnv: false, timeout: 120_000 });
  const dir = path.join(s.pusher, 'bench-upstream');
  await fsp.mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await fsp.writeFile(path.join(dir, `${tag}-${i}.txt`), `upstream change ${tag} ${i}\n`);
    await git(['add', '--', `bench-upstream/${tag}-${i}.txt`]);
    await git(['commit', '--quiet', '-m', `upstream change ${tag} ${i}`]);
  }
  await git(['push', '--quiet', 'origin', 'HEAD']);
  return (await git(['rev-parse', 'HEAD'])).stdout.trim();
}
