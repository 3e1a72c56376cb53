import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { headsRef, isGitRefName } from './names.js';
import { OID } from './lane-refs.js';
import { runGit } from './run-git.js';

/** Fetching a busy remote can take a while; it is still bounded. */
const FETCH_TIMEOUT_MS = 30 * 60_000;

/** A remote as `branch.<name>.remote` may name it: a configured name, a path or a URL, never an option. */
// eslint-disable-next-line no-control-regex
const REMOTE = /^[^\-\s\x00-\x1f\x7f][^\s\x00-\x1f\x7f]{0,1023}$/;

export interface Upstream {
  /** The remote the branch pulls from; undefined when it has none (or pulls from this repository, `.`). */
  readonly remote: string | undefined;
  /** The branch on the remote (`branch.<name>.merge`, e.g. refs/heads/main). */
  readonly merge: string | undefined;
  /** The remote-tracking ref that mirrors it here (`%(upstream)`, e.g. refs/remotes/origin/main). */
  readonly tracking: string | undefined;
}

/** Where `branch` pulls from, read from this repository's config; validated before any fetch uses it. */
export async function branchUpstream(ctx: Context, root: string, branch: string): Promise<Upstream> {
  if (!isGitRefName(headsRef(branch))) throw new IsolaneError('BAD_REF', `not a branch name: ${JSON.stringify(branch)}`);
  const get = async (key: string): Promise<string | undefined> => (await runGit(ctx, root, ['config', '--get', key], { okExitCodes: [1] })).stdout.trim() || undefined;
  const [remote, merge, tracking] = await Promise.all([
    get(`branch.${branch}.remote`),
    get(`branch.${branch}.merge`),
    runGit(ctx, root, ['for-each-ref', '--format=%(upstream)', '--end-of-options', headsRef(branch)]).then((r) => r.stdout.trim() || undefined),
  ]);
  if (remote === undefined || remote === '.') return { remote: undefined, merge, tracking };
  if (!REMOTE.test(remote)) {
    throw new IsolaneError('CONFIG', `branch.${branch}.remote is ${JSON.stringify(remote)}, which isolane will not pass to git fetch`, { hint: `set it to a remote's name (git branch --set-upstream-to=origin/${branch} ${branch})` });
  }
  if (merge !== undefined && !isGitRefName(merge)) throw new IsolaneError('CONFIG', `branch.${branch}.merge is ${JSON.stringify(merge)}, not a ref name`);
  return { remote, merge, tracking: tracking && isGitRefName(tracking) ? tracking : undefined };
}

/** `git fetch <remote>` with its configured refspecs: its remote-tracking refs move. Call under the repository lock. */
export async function fetchRemote(ctx: Context, root: string, remote: string): Promise<void> {
  await runGit(ctx, root, ['fetch', '--quiet', '--end-of-options', remote], { timeoutMs: FETCH_TIMEOUT_MS });
}

/**
 * Fetches the commits of `refs` from `remote` without moving any ref (`--refmap=` turns off the
 * update of remote-tracking refs), in one fetch; returns each one's commit, in order, from
 * FETCH_HEAD. Call under the repository lock (FETCH_HEAD is one file for every fetch).
 */
export async function fetchWithoutRefs(ctx: Context, root: string, gitDir: string, remote: string, refs: readonly string[]): Promise<string[]> {
  await runGit(ctx, root, ['fetch', '--quiet', '--no-tags', '--refmap=', '--end-of-options', remote, ...refs], { timeoutMs: FETCH_TIMEOUT_MS });
  const lines = (await fsp.readFile(path.join(gitDir, 'FETCH_HEAD'), 'utf8')).split('\n').filter(Boolean);
  const oids = lines.map((l) => l.slice(0, l.indexOf('\t')));
  if (oids.length !== refs.length || !oids.every((o) => OID.test(o))) {
    throw new IsolaneError('GIT_FAILED', `git fetch ${remote} did not report one commit for each of ${refs.join(', ')}`);
  }
  return oids;
}
