import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { LaneSpec } from '../lane/contract.js';
import type { Context } from '../context.js';
import type { RepoLocation } from './repo.js';
import { checkoutFiles } from './checkout.js';
import { gitCommands } from './commands.js';
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
  // One checkout makes the lane's branch at its start, points HEAD at it and fills the files.
  const checkout = gitCommands.checkoutBranchAt(spec.branch, spec.startOid);
  try {
    await checkoutFiles(ctx, spec.path, checkout);
  } catch (e) {
    // The start commit may exist only in the main repository (local commits not yet pushed):
    // then git changed nothing, and it is fetched for a second try.
    const [present] = await resolveRevisions(ctx, spec.path, [`${spec.startOid}^{commit}`]);
    if (present) throw e;
    await git(spec.path, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', repo.root, spec.startOid]);
    await checkoutFiles(ctx, spec.path, checkout);
  }
}

/** A remote given as a filesystem path rather than a URL (`https://…`, `file://…`) or `host:path`. */
export function isLocalPath(remote: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return false;
  return remote.startsWith('/') || remote.startsWith('.') || !/^[^/]+:/.test(remote);
}
