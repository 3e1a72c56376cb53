import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { runGit } from './run-git.js';

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const REF_NAME = /^refs\/(?:heads|remotes)\/[A-Za-z0-9._/@+-]{1,200}$/;

/** Where a lane's own branches are mirrored in the main repository (hidden from `git branch`). */
export function laneRefNamespace(lane: string): string {
  return `refs/isolane/lanes/${lane}`;
}

/**
 * Reads a lane repository's HEAD and branches as data: loose ref files and packed-refs, never
 * following symlinks and never running git there. Anything that is not a plain oid is dropped.
 */
async function readLaneRefs(gitDir: string): Promise<{ head: string | undefined; refs: Map<string, string> }> {
  const refs = new Map<string, string>();
  const packed = await fsp.readFile(path.join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [oid, name] = line.split(' ');
    if (oid && name && OID.test(oid) && REF_NAME.test(name)) refs.set(name, oid);
  }
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const name = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), name);
      else if (entry.isFile() && REF_NAME.test(name)) {
        const oid = (await fsp.readFile(path.join(dir, entry.name), 'utf8')).trim();
        if (OID.test(oid)) refs.set(name, oid);
      }
    }
  };
  await walk(path.join(gitDir, 'refs', 'heads'), 'refs/heads');
  await walk(path.join(gitDir, 'refs', 'remotes'), 'refs/remotes');
  const headText = (await fsp.readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => '')).trim();
  const symbolic = /^ref: (refs\/heads\/\S+)$/.exec(headText)?.[1];
  const head = symbolic ? refs.get(symbolic) : OID.test(headText) ? headText : undefined;
  return { head, refs };
}

/**
 * The view's object store: the lane's packs and loose-object directories, but not its
 * `info/alternates` (the lane can write that file, and git would follow it anywhere on this
 * host). The only alternate the view has is the main repository's own object store.
 */
async function linkObjects(laneObjects: string, viewObjects: string, mainObjects: string): Promise<void> {
  await fsp.mkdir(path.join(viewObjects, 'info'), { recursive: true });
  await fsp.writeFile(path.join(viewObjects, 'info', 'alternates'), `${mainObjects}\n`);
  for (const entry of await fsp.readdir(laneObjects, { withFileTypes: true })) {
    if (entry.isDirectory() && (entry.name === 'pack' || /^[0-9a-f]{2}$/.test(entry.name))) {
      await fsp.symlink(path.join(laneObjects, entry.name), path.join(viewObjects, entry.name));
    }
  }
}

export interface FetchedLane {
  /** The lane's checked-out commit, now in the main repository's object store. */
  readonly head: string | undefined;
  /** Every branch and remote-tracking branch of the lane repository, and its commit. */
  readonly refs: ReadonlyMap<string, string>;
}

/**
 * Brings a lane repository's commits into the main repository under `refs/isolane/lanes/<lane>/`
 * without trusting the lane: git reads it through a throwaway view (its objects, a copy of its
 * refs, an empty config of ours), so the lane's config, hooks and fsmonitor never run on the host.
 */
export async function fetchLane(
  ctx: Context,
  where: { readonly mainRoot: string; readonly stateDir: string; readonly laneGitDir: string },
  lane: string,
  /** The lane's branch, mirrored to refs/heads/<branch> in the main repository. */
  branch: string,
): Promise<FetchedLane> {
  const { mainRoot, stateDir, laneGitDir } = where;
  const mainObjects = path.join(mainRoot, '.git', 'objects');
  const { head, refs } = await readLaneRefs(laneGitDir);
  const view = path.join(stateDir, 'views', `${lane}-${randomBytes(4).toString('hex')}.git`);
  const ns = laneRefNamespace(lane);
  try {
    await fsp.mkdir(path.join(view, 'refs'), { recursive: true });
    await fsp.writeFile(path.join(view, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
    await linkObjects(path.join(laneGitDir, 'objects'), path.join(view, 'objects'), mainObjects);
    const lines = [...refs].map(([name, oid]) => `${oid} ${name}`);
    if (head) lines.push(`${head} refs/isolane-head`);
    await fsp.writeFile(path.join(view, 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted\n${lines.sort((a, b) => a.slice(41).localeCompare(b.slice(41))).join('\n')}\n`);
    await fsp.writeFile(path.join(view, 'HEAD'), 'ref: refs/heads/isolane-view-none\n');
    await runGit(ctx, mainRoot, [
      'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--prune', '--force', '--end-of-options', view,
      `refs/heads/*:${ns}/heads/*`,
      `refs/remotes/*:${ns}/remotes/*`,
      ...(head ? [`refs/isolane-head:${ns}/HEAD`] : []),
      ...(refs.has(`refs/heads/${branch}`) ? [`refs/heads/${branch}:refs/heads/${branch}`] : []),
    ]);
  } finally {
    await fsp.rm(view, { recursive: true, force: true });
  }
  return { head, refs };
}
