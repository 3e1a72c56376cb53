import { headsRef, isGitRefName } from '../git/names.js';
import { parseStatus, parseStatusV2 } from '../git/parse.js';
import type { LaneReader } from './reader.js';

/** A commit in a lane, as the user sees it in a refusal or a --force report. */
export interface LaneCommit {
  readonly oid: string;
  readonly subject: string;
}

/** Commits of a submodule of the lane that its remotes do not hold. */
export interface SubmoduleCommits {
  /** The submodule's path in the lane (nested ones joined with /). */
  readonly path: string;
  readonly commits: readonly LaneCommit[];
}

interface Gitlink {
  readonly path: string;
  readonly oid: string;
}

/** Submodules recorded in the lane's index (mode 160000). */
async function gitlinks(reader: LaneReader): Promise<Gitlink[]> {
  const out = (await reader.git(['ls-files', '--stage', '-z'])).stdout;
  const links: Gitlink[] = [];
  for (const entry of out.split('\0')) {
    if (!entry.startsWith('160000 ')) continue;
    const tab = entry.indexOf('\t');
    links.push({ oid: entry.split(' ')[1] ?? '', path: entry.slice(tab + 1) });
  }
  return links;
}

async function withSubmodule<T>(reader: LaneReader, subPath: string, fn: (sub: LaneReader) => Promise<T>): Promise<T | undefined> {
  const sub = await reader.submodule(subPath);
  if (!sub) return undefined;
  try {
    return await fn(sub);
  } finally {
    await sub.close();
  }
}

/**
 * Uncommitted work: porcelain lines such as `?? notes.txt`, ` M src/a.ts`; a submodule with new
 * commits or changed files shows as ` M <path>`. Ignored files are not work. With `aheadKey`
 * (GitOptions) the status may be one the CLI started ahead.
 */
export async function dirtyFiles(reader: LaneReader, aheadKey?: string): Promise<string[]> {
  const { stdout } = await reader.git([...statusArgv(reader), '--porcelain=v1'], aheadKey === undefined ? {} : { aheadKey });
  return withSubmoduleChanges(reader, parseStatus(stdout));
}

/** How a lane's branch stands against its base, counted by the status that listed its files. */
export interface BranchCounts {
  /** The commit the counts are for. */
  readonly oid: string;
  readonly ahead: number;
  readonly behind: number;
}

/**
 * dirtyFiles, and in the same git process how the lane's branch stands against its base: the
 * base is made the branch's upstream on git's command line (`remote = .`, nothing written), and
 * status counts as it would against any upstream. `counts` is undefined unless the lane has
 * `branch` checked out and the upstream counted is `base` itself (a branch with an upstream of
 * its own is counted against that one: then the caller counts).
 */
export async function filesAndCounts(reader: LaneReader, branch: string, base: string, aheadKey?: string): Promise<{ files: string[]; counts: BranchCounts | undefined }> {
  // Elsewhere `refs/heads/<base>` would be the lane's own (a clone's, which it may have moved).
  if (!reader.sharesMainRefs || !isGitRefName(headsRef(branch)) || !isGitRefName(headsRef(base))) return { files: await dirtyFiles(reader, aheadKey), counts: undefined };
  const upstream = ['-c', `branch.${branch}.remote=.`, '-c', `branch.${branch}.merge=${headsRef(base)}`];
  const argv = [...upstream, ...statusArgv(reader), '--porcelain=v2', '--branch', '--ahead-behind'];
  const { lines, branch: head } = parseStatusV2((await reader.git(argv, aheadKey === undefined ? {} : { aheadKey })).stdout);
  const files = await withSubmoduleChanges(reader, lines);
  const { oid, ahead, behind } = head;
  const ours = head.head === branch && head.upstream === base && oid !== undefined && ahead !== undefined && behind !== undefined;
  return { files, counts: ours ? { oid, ahead, behind } : undefined };
}

/** `git status` as isolane reads a lane; the caller adds the format. */
function statusArgv(reader: LaneReader): string[] {
  const mode = reader.recursesSubmodules ? 'none' : 'all';
  // --no-optional-locks: reading never rewrites the lane's index (git would refresh its cache otherwise).
  return ['--no-optional-locks', 'status', '-z', '--untracked-files=all', `--ignore-submodules=${mode}`];
}

/** Adds the submodules git was not let into (a view's): one with new commits or changed files shows as ` M <path>`. */
async function withSubmoduleChanges(reader: LaneReader, lines: string[]): Promise<string[]> {
  if (reader.recursesSubmodules || !(await reader.mayHaveSubmodules())) return lines;
  // git must not recurse where the lane's submodules could run their config: isolane does.
  const seen = new Set(lines.map((l) => l.slice(3)));
  for (const link of await gitlinks(reader)) {
    if (seen.has(link.path)) continue;
    const changed = await withSubmodule(reader, link.path, async (sub) => {
      const head = (await sub.refs()).head;
      return head !== link.oid || (await dirtyFiles(sub)).length > 0;
    });
    if (changed) lines.push(` M ${link.path}`);
  }
  return lines;
}

/** Parses `git log --format=%H%x09%s` output. */
export function parseCommitLines(out: string): LaneCommit[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ oid: line.slice(0, line.indexOf('\t')), subject: line.slice(line.indexOf('\t') + 1) }));
}

/**
 * Commits in the lane's submodules (at any depth) that their remotes do not hold: reachable from
 * a submodule's HEAD, branches, tags or stash, but from none of its remote-tracking refs.
 */
export async function unsavedSubmoduleCommits(reader: LaneReader, prefix = ''): Promise<SubmoduleCommits[]> {
  const found: SubmoduleCommits[] = [];
  if (!(await reader.mayHaveSubmodules())) return found;
  for (const link of await gitlinks(reader)) {
    const subPath = `${prefix}${link.path}`;
    const inner = await withSubmodule(reader, link.path, async (sub) => {
      const refs = await sub.refs();
      const held = [...refs.refs].filter(([name]) => name.startsWith('refs/remotes/')).map(([, oid]) => oid);
      const tips = [...refs.refs].filter(([name]) => !name.startsWith('refs/remotes/')).map(([, oid]) => oid);
      if (refs.head) tips.push(refs.head);
      tips.push(...refs.stash);
      const own: SubmoduleCommits[] = [];
      if (tips.length > 0) {
        // Tips on stdin (always positive there), what the remotes hold after --not.
        const input = `${[...new Set(tips)].join('\n')}\n`;
        const commits = parseCommitLines((await sub.git(['log', '--format=%H%x09%s', '--stdin', '--not', ...new Set(held)], { input })).stdout);
        if (commits.length > 0) own.push({ path: subPath, commits });
      }
      return [...own, ...(await unsavedSubmoduleCommits(sub, `${subPath}/`))];
    });
    if (inner) found.push(...inner);
  }
  return found;
}

/** Commits of `tip` that `base` lacks, and the reverse, counted where the lane's objects are. */
export async function aheadBehind(reader: LaneReader, base: string, tip: string): Promise<{ ahead: number; behind: number } | undefined> {
  const r = await reader.git(['rev-list', '--left-right', '--count', '--end-of-options', `${base}...${tip}`], { okExitCodes: [128] });
  const [behind, ahead] = r.stdout.trim().split(/\s+/).map(Number);
  return r.exitCode === 0 && Number.isInteger(behind) && Number.isInteger(ahead) ? { ahead: ahead!, behind: behind! } : undefined;
}
