import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { LaneSpec } from '../../strategies/strategy.js';
import type { Context } from '../context.js';
import type { RepoLocation } from './repo.js';
import { checkoutFiles } from './checkout.js';
import { fetchLane, laneRefNamespace } from './fetch-lane.js';
import { headsRef } from './names.js';
import { resolveRevisions } from './resolve.js';
import { runGit } from './run-git.js';

/** Clones can take minutes on a big repository; the default git timeout is for quick calls. */
const CLONE_TIMEOUT_MS = 60 * 60_000;

export type CloneMode = 'full' | 'reference' | 'blobless';

/**
 * Makes a lane's own clone on branch `spec.branch` at `spec.startOid`. The source is the
 * repository's `origin` when it has one (so the lane fetches as any clone would), else the
 * main repository through real transport (`--no-local`).
 */
export async function cloneLane(ctx: Context, repo: RepoLocation, spec: LaneSpec, mode: CloneMode): Promise<void> {
  const git = (cwd: string, argv: readonly string[]) => runGit(ctx, cwd, argv, { timeoutMs: CLONE_TIMEOUT_MS });
  await fsp.mkdir(path.dirname(spec.path), { recursive: true });
  const origin = (await runGit(ctx, repo.root, ['config', '--get', 'remote.origin.url'], { okExitCodes: [1] })).stdout.trim() || undefined;
  const source = origin ?? repo.root;
  ctx.logger.progress(`cloning ${source} (${mode})`);
  await git(path.dirname(spec.path), [
    'clone', '--quiet', '--no-checkout',
    // From a path git would hard-link the objects and ignore --reference and --filter; real
    // transport gives the lane a store of its own, as a clone from a server would.
    ...(isLocalPath(source) ? ['--no-local'] : []),
    ...(mode === 'reference' ? ['--reference', repo.root] : []),
    ...(mode === 'blobless' ? ['--filter=blob:none'] : []),
    // A local source serves filtered clones only when told to; this command is ours, not the user's.
    ...(mode === 'blobless' && isLocalPath(source) ? ['--upload-pack', 'git -c uploadpack.allowFilter=true upload-pack'] : []),
    '--', source, spec.path,
  ]);
  // The start commit may exist only in the main repository (local commits not yet pushed).
  const [present] = await resolveRevisions(ctx, spec.path, [`${spec.startOid}^{commit}`]);
  if (!present) await git(spec.path, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', repo.root, spec.startOid]);
  await git(spec.path, ['update-ref', '--end-of-options', headsRef(spec.branch), spec.startOid]);
  await git(spec.path, ['symbolic-ref', 'HEAD', headsRef(spec.branch)]);
  await checkoutFiles(ctx, spec.path);
}

/** A remote given as a filesystem path rather than a URL (`https://…`, `file://…`) or `host:path`. */
export function isLocalPath(remote: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return false;
  return remote.startsWith('/') || remote.startsWith('.') || !/^[^/]+:/.test(remote);
}

export interface LaneCommits {
  readonly headOid: string | undefined;
  readonly checkoutOid: string | undefined;
  readonly otherTips: readonly string[];
  /**
   * Every ref under `refs/isolane/lanes/<lane>/` the fetch left, when the fetch alone says so
   * (undefined: it does not, e.g. the lane has no HEAD; ask the repository).
   */
  readonly laneRefs: readonly string[] | undefined;
}

/** Fetches a clone lane's commits home (untrusted-safe) and says where its branches stand. */
export async function collectLaneCommits(
  ctx: Context,
  where: { readonly repo: RepoLocation; readonly stateDir: string },
  lane: { readonly lane: string; readonly branch: string; readonly path: string },
): Promise<LaneCommits> {
  const gitDir = path.join(lane.path, '.git');
  const ns = laneRefNamespace(lane.lane);
  const branchRef = headsRef(lane.branch);
  if (await fsp.stat(gitDir).then((s) => s.isDirectory(), () => false)) {
    const fetched = await fetchLane(ctx, { mainRoot: where.repo.root, stateDir: where.stateDir, laneGitDir: gitDir }, lane.lane, lane.branch);
    // The fetch (--force --prune) made the main repository's refs equal to the lane's, so they
    // need no second look, unless it could not: no HEAD to mirror, or no branch to bring home.
    const headOid = fetched.refs.get(branchRef);
    if (fetched.head && headOid) {
      const mirrored = [...fetched.refs].map(([name, oid]) => [`${ns}/${name.slice('refs/'.length)}`, oid] as const);
      return {
        headOid,
        checkoutOid: fetched.head,
        otherTips: mirrored.filter(([name]) => name.startsWith(`${ns}/heads/`)).map(([, oid]) => oid),
        laneRefs: [`${ns}/HEAD`, ...mirrored.map(([name]) => name)],
      };
    }
  }
  const out = (await runGit(ctx, where.repo.root, ['for-each-ref', '--format=%(objectname) %(refname)', branchRef, `${ns}/`])).stdout;
  const refs = new Map(out.split('\n').filter(Boolean).map((line) => [line.slice(line.indexOf(' ') + 1), line.slice(0, line.indexOf(' '))] as const));
  const others = [...refs].filter(([name]) => name.startsWith(`${ns}/heads/`)).map(([, oid]) => oid);
  return { headOid: refs.get(branchRef), checkoutOid: refs.get(`${ns}/HEAD`), otherTips: others, laneRefs: undefined };
}

/**
 * Deletes the refs a clone lane's commits were fetched to (`refs/isolane/lanes/<lane>/`): those
 * `known` from the lane's last fetch, else whatever the repository lists there.
 */
export async function dropLaneRefs(ctx: Context, repo: RepoLocation, lane: string, known?: readonly string[]): Promise<void> {
  const refs = known ?? (await runGit(ctx, repo.root, ['for-each-ref', '--format=%(refname)', `${laneRefNamespace(lane)}/`])).stdout.split('\n').filter(Boolean);
  if (refs.length > 0) await runGit(ctx, repo.root, ['update-ref', '--stdin'], { input: refs.map((r) => `delete ${r}\n`).join('') });
}

/**
 * Fetching clone lanes home, remembering per lane the refs each fetch left, so that removal
 * drops exactly those without listing the namespace again (one per strategy instance).
 */
export interface LaneRefMemory {
  collect(lane: { readonly lane: string; readonly branch: string; readonly path: string }): Promise<Omit<LaneCommits, 'laneRefs'>>;
  /** Call with the repository lock held. */
  drop(lane: string): Promise<void>;
}

export function laneRefMemory(ctx: Context, where: { readonly repo: RepoLocation; readonly stateDir: string }): LaneRefMemory {
  const fetched = new Map<string, readonly string[] | undefined>();
  return {
    async collect(lane) {
      const { laneRefs, ...commits } = await collectLaneCommits(ctx, where, lane);
      fetched.set(lane.lane, laneRefs);
      return commits;
    },
    async drop(lane) {
      const known = fetched.get(lane);
      fetched.delete(lane);
      await dropLaneRefs(ctx, where.repo, lane, known);
    },
  };
}

/** Lane directories under `root` that hold a repository of their own (`.git` is a directory). */
export async function findCloneLanes(root: string, isLaneName: (name: string) => boolean): Promise<Array<{ lane: string; path: string; branch: string | undefined }>> {
  const entries = await fsp.readdir(root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  const found: Array<{ lane: string; path: string; branch: string | undefined }> = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !isLaneName(entry.name)) continue;
    const dir = path.join(root, entry.name);
    if (!(await fsp.stat(path.join(dir, '.git')).then((s) => s.isDirectory(), () => false))) continue;
    const head = (await fsp.readFile(path.join(dir, '.git', 'HEAD'), 'utf8').catch(() => '')).trim();
    found.push({ lane: entry.name, path: dir, branch: /^ref: refs\/heads\/(\S+)$/.exec(head)?.[1] });
  }
  return found;
}
