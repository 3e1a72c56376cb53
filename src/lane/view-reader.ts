import { promises as fsp, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { isRealDirectory, lstatOrUndefined, quietly, readDirSafely, readFileSafely, readTextSafely, unsafePath } from '../fs/safe-read.js';
import { readLaneRefs, type LaneRefs } from '../git/lane-refs.js';
import { runGit } from '../git/run-git.js';
import { isAlive } from '../process/alive.js';
import { isSafeSubPath, submoduleHints, type LaneReader } from './reader.js';

const MAX_INDEX = 1024 * 2 ** 20;
const MAX_SMALL = 2 ** 20;
const MAX_SUBMODULE_DEPTH = 4;
/** A lane's git commands are bounded tighter than isolane's own: a hostile lane should cost seconds, not minutes. */
export const LANE_GIT_TIMEOUT_MS = 60_000;

/** In the view, the lane's refs are kept apart from the few isolane adds. */
export const VIEW_LANE_REFS = 'refs/lane';
/** Under a pattern of its own, so that a fetch with --prune drops it when the lane has no HEAD. */
export const VIEW_HEAD = 'refs/meta/head/HEAD';
export const VIEW_STASH = 'refs/meta/stash';

export interface ViewSource {
  /** The lane's work tree, as a real path (no symlinks on the way). */
  readonly workTree: string;
  /** Its git directory, a real directory inside `within`. */
  readonly gitDir: string;
  /** The real path everything read must stay inside (the lane's directory). */
  readonly within: string;
  /** An object store the view may borrow from (the main repository's), for lanes that do. */
  readonly alternate?: string;
  /** Names the view's directory after what it reads (`<repo id>-<lane>`), for whoever finds one. */
  readonly label?: string;
}

/**
 * A throwaway bare-bones git directory of isolane's own over a lane it does not trust: its
 * config is ours (so the lane's fsmonitor, hooks, filters, aliases and includes never run), its
 * refs are a copy read as data, its index and excludes are copies, and its object store links
 * only the lane's real pack and loose-object directories (never the lane's alternates, never a
 * symlink). git then runs with `--git-dir=<view> --work-tree=<lane>`.
 */
export async function openViewReader(ctx: Context, source: ViewSource, depth = 0): Promise<LaneReader & { readonly dir: string }> {
  const { workTree, gitDir, within } = source;
  if (!(await isRealDirectory(gitDir))) throw unsafePath(gitDir, 'is not a real git directory');
  const refs = await readLaneRefs(gitDir, within);
  const dir = await makeViewDir(source.label);
  try {
    await buildView(dir, source, refs);
  } catch (e) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw e;
  }
  const reader: LaneReader & { readonly dir: string } = {
    dir,
    recursesSubmodules: false,
    // No aheadKey: the view's directory is this process's own, so no call is made twice the same.
    git: (argv, { aheadKey: _, ...opts } = {}) =>
      runGit(ctx, dir, [`--git-dir=${dir}`, `--work-tree=${workTree}`, ...argv], {
        timeoutMs: Math.min(ctx.gitTimeoutMs, LANE_GIT_TIMEOUT_MS),
        watchFifo: true,
        ...opts,
      }),
    refs: () => Promise.resolve(refs),
    async submodule(subPath) {
      if (depth >= MAX_SUBMODULE_DEPTH || !isSafeSubPath(subPath)) return undefined;
      const sub = await submoduleSource(source, subPath);
      return sub ? openViewReader(ctx, { ...sub, ...(source.label ? { label: source.label } : {}) }, depth + 1) : undefined;
    },
    mayHaveSubmodules: () => submoduleHints(workTree, gitDir),
    close: () => fsp.rm(dir, { recursive: true, force: true }),
  };
  return reader;
}

const viewsRoot = (): string => path.join(os.tmpdir(), `isolane-views-${process.getuid?.() ?? 'user'}`);

/** A new view directory in this user's private views directory, named by the process that uses it. */
async function makeViewDir(label = 'view'): Promise<string> {
  const root = viewsRoot();
  await fsp.mkdir(root, { recursive: true, mode: 0o700 });
  const st = await fsp.lstat(root);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) {
    throw unsafePath(root, 'is not a private directory of this user');
  }
  await sweepStaleViews();
  return fsp.mkdtemp(path.join(root, `${process.pid}-${label}-`));
}

/**
 * Removes the views a killed isolane left behind (their process is gone). Listed synchronously,
 * as src/fs/safe-read.ts reads: every `down` looks, and there is rarely anything.
 */
export async function sweepStaleViews(): Promise<void> {
  const root = viewsRoot();
  for (const name of quietly(() => readdirSync(root)) ?? []) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) await fsp.rm(path.join(root, name), { recursive: true, force: true });
  }
}

async function buildView(dir: string, source: ViewSource, refs: LaneRefs): Promise<void> {
  const { gitDir, within } = source;
  await fsp.writeFile(
    path.join(dir, 'config'),
    '[core]\n\trepositoryformatversion = 0\n\tbare = false\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n',
  );
  await linkObjects(path.join(gitDir, 'objects'), path.join(dir, 'objects'), source.alternate);
  const lines = [...refs.refs].map(([name, oid]) => `${oid} ${VIEW_LANE_REFS}/${name.slice('refs/'.length)}`);
  if (refs.head) lines.push(`${refs.head} ${VIEW_HEAD}`);
  refs.stash.forEach((oid, i) => lines.push(`${oid} ${VIEW_STASH}/${i}`));
  lines.sort((a, b) => (a.slice(a.indexOf(' ')) < b.slice(b.indexOf(' ')) ? -1 : 1));
  await fsp.writeFile(path.join(dir, 'packed-refs'), `# pack-refs with: sorted\n${lines.map((l) => `${l}\n`).join('')}`);
  await fsp.mkdir(path.join(dir, 'refs'));
  await fsp.writeFile(path.join(dir, 'HEAD'), refs.head ? `${refs.head}\n` : 'ref: refs/meta/unborn\n');
  // The index (and a split index's shared part) and the excludes, copied as data.
  const copy = async (name: string, maxBytes: number, to = name): Promise<void> => {
    const data = await readFileSafely(path.join(gitDir, name), { maxBytes, within });
    if (data) await fsp.writeFile(path.join(dir, to), data);
  };
  await copy('index', MAX_INDEX);
  for (const entry of (await readDirSafely(gitDir)) ?? []) {
    if (/^sharedindex\.[0-9a-f]{40,64}$/.test(entry.name)) await copy(entry.name, MAX_INDEX);
  }
  await fsp.mkdir(path.join(dir, 'info'));
  await copy(path.join('info', 'exclude'), MAX_SMALL);
}

/**
 * The view's object store: the lane's `pack` and loose-object directories, each checked to be a
 * real directory holding only regular files, linked in; the only alternate is `alternate`.
 */
async function linkObjects(laneObjects: string, viewObjects: string, alternate: string | undefined): Promise<void> {
  await fsp.mkdir(path.join(viewObjects, 'info'), { recursive: true });
  if (alternate) await fsp.writeFile(path.join(viewObjects, 'info', 'alternates'), `${alternate}\n`);
  for (const entry of (await readDirSafely(laneObjects)) ?? []) {
    if (!(entry.name === 'pack' || /^[0-9a-f]{2}$/.test(entry.name))) continue;
    const from = path.join(laneObjects, entry.name);
    if (!entry.isDirectory()) throw unsafePath(from, 'is not a real directory');
    for (const file of (await readDirSafely(from)) ?? []) {
      if (!file.isFile()) throw unsafePath(path.join(from, file.name), 'is not a regular file');
    }
    await fsp.symlink(from, path.join(viewObjects, entry.name));
  }
}

/**
 * The submodule checked out at `subPath`: its work tree must be a real directory inside the lane,
 * its `.git` a file naming a git directory inside the lane's `.git/modules/` (or, for a
 * repository embedded without `git submodule`, a real `.git` directory).
 */
async function submoduleSource(parent: ViewSource, subPath: string): Promise<ViewSource | undefined> {
  const workTree = path.join(parent.workTree, subPath);
  // No symlink anywhere on the way: git would follow it out of the lane.
  if ((await fsp.realpath(workTree).catch(() => undefined)) !== workTree) return undefined;
  const dotGit = path.join(workTree, '.git');
  const st = await lstatOrUndefined(dotGit);
  if (!st) return undefined; // not initialized: nothing of it lives in the lane
  if (st.isDirectory()) return { workTree, gitDir: dotGit, within: parent.within };
  const text = await readTextSafely(dotGit, { maxBytes: 4096, within: parent.within });
  const target = /^gitdir: (.+)$/m.exec(text ?? '')?.[1]?.trim();
  if (!target) throw unsafePath(dotGit, 'is neither a git directory nor a gitdir file');
  const gitDir = path.resolve(workTree, target);
  const modules = path.join(parent.gitDir, 'modules');
  const realGitDir = await fsp.realpath(gitDir).catch(() => undefined);
  if (!gitDir.startsWith(`${modules}${path.sep}`) || realGitDir !== gitDir) {
    throw unsafePath(dotGit, `names ${gitDir}, outside the lane's ${modules}`);
  }
  return { workTree, gitDir, within: parent.within };
}
