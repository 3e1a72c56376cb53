import path from 'node:path';
import type { Context } from '../context.js';
import { sha256Hex } from '../hash.js';
import { GitError, IsolaneError } from '../errors.js';
import { gitCommands } from './commands.js';
import { plainCommonDir } from './discover.js';
import { runGit } from './run-git.js';
import { cacheGitVersion, cachedGitVersion, gitBinary } from './version-cache.js';
import { enclosingLanesRoot, ROOT_MARKER, type EnclosingLanesRoot } from '../lane/root-marker.js';

/** `--path-format=absolute` and `rev-parse --end-of-options` need 2.31. */
export const MIN_GIT_VERSION = [2, 31, 0] as const;

export interface RepoLocation {
  /** The main worktree's top level, where isolane.yaml lives. */
  readonly root: string;
  /** The shared git dir; isolane's state lives in `<commonDir>/isolane`. */
  readonly commonDir: string;
  /** A stable short id for labels and names, derived from the common dir. */
  readonly id: string;
  /** Checked to be at least MIN_GIT_VERSION; undefined when a command that runs no git found the repository without it. */
  readonly gitVersion: string | undefined;
  /** Set when the command was run from inside a lane (or the lanes root) rather than a checkout of the repository. */
  readonly from?: { readonly lanesRoot: string; readonly lane?: string };
}

export function parseGitVersion(output: string): [number, number, number] | undefined {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function versionAtLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * Finds the repository that contains ctx.cwd, from the main checkout, from inside any lane of it
 * whatever its strategy, or from its lanes root: there the lanes root's marker names the
 * repository, and git runs in the main checkout, never in the lane.
 */
export async function locateRepo(ctx: Context, opts: { readonly runsGit?: boolean } = {}): Promise<RepoLocation> {
  const home = process.env.GIT_DIR === undefined ? await enclosingLanesRoot(ctx.cwd) : undefined;
  const where = home ? path.dirname(home.commonDir) : ctx.cwd;
  // A command that runs no git (`path`) checks git only where finding the repository needs it.
  const plain = opts.runsGit === false ? await plainCommonDir(where) : undefined;
  const discover = async (): Promise<string> => plain ?? (await plainCommonDir(where)) ?? (await runGit(ctx, where, gitCommands.discover())).stdout;
  const checkGit = async (): Promise<string | undefined> => (plain === undefined ? gitVersion(ctx, where) : undefined);
  // Both at once; a git too old (or missing) is named as such even when discovery fails with it.
  const [versioned, discovery] = await Promise.allSettled([checkGit(), discover()]);
  if (versioned.status === 'rejected') throw versioned.reason;
  if (discovery.status === 'rejected') {
    const cause: unknown = discovery.reason;
    if (home) throw laneWithoutHome(home, ctx.cwd, cause);
    if (cause instanceof GitError && /not a git repository/i.test(cause.stderr)) {
      throw new IsolaneError('NOT_A_REPO', `${ctx.cwd} is not inside a git repository`, {
        hint: 'run isolane from a checkout of the repository, or create one with git init',
      });
    }
    throw cause;
  }
  const version = versioned.value;
  const [commonDir] = discovery.value.split('\n');
  if (!commonDir) throw new IsolaneError('NOT_A_REPO', `${ctx.cwd}: git did not report a repository`);
  if (path.basename(commonDir) !== '.git') {
    throw new IsolaneError('NOT_A_REPO', `${commonDir} is a bare repository; isolane needs a main checkout`, {
      hint: 'clone it without --bare and run isolane from there',
    });
  }
  // The marker must name this very repository: a moved or re-made repository is not taken on trust.
  if (home && (home.repo !== repoId(commonDir) || home.commonDir !== commonDir)) throw laneWithoutHome(home, ctx.cwd, undefined);
  let id: string | undefined;
  return {
    root: path.dirname(commonDir),
    commonDir,
    // Worked out when first asked (`isolane path` needs no id), once: each hash costs start-up.
    get id() {
      id ??= repoId(commonDir);
      return id;
    },
    gitVersion: version,
    ...(home ? { from: { lanesRoot: home.root, ...(home.lane ? { lane: home.lane } : {}) } } : {}),
  };
}

/** A stable short id for labels and names, from the common dir: the start of its SHA-256 (src/hash.ts: the same digest as node:crypto's, so ids made before are found). */
function repoId(commonDir: string): string {
  return sha256Hex(commonDir).slice(0, 12);
}

/**
 * git's version ("2.39.5"), at least MIN_GIT_VERSION: from the cache when this very git binary
 * was asked before (version-cache.ts), else from `git version`, then cached.
 */
async function gitVersion(ctx: Context, cwd: string): Promise<string> {
  const binary = await gitBinary(ctx.env, ctx.cwd).catch(() => undefined);
  const cached = binary ? await cachedGitVersion(binary) : undefined;
  if (cached) return cached;
  const out = await runGit(ctx, cwd, gitCommands.version()).catch((cause: unknown) => {
    throw new IsolaneError('GIT_VERSION', 'could not run git', { cause, hint: 'install git 2.31 or newer and put it on PATH' });
  });
  const version = parseGitVersion(out.stdout);
  if (!version || !versionAtLeast(version, MIN_GIT_VERSION)) {
    throw new IsolaneError('GIT_VERSION', `git ${out.stdout.trim()} is too old`, {
      hint: `install git ${MIN_GIT_VERSION.join('.')} or newer`,
    });
  }
  if (binary) await cacheGitVersion(binary, version.join('.'));
  return version.join('.');
}

function laneWithoutHome(home: EnclosingLanesRoot, cwd: string, cause: unknown): IsolaneError {
  return new IsolaneError('NOT_A_REPO', `${cwd} is in the lanes root ${home.root}, made for the repository ${home.commonDir}, which is not there any more (or is another one now)`, {
    hint: `run isolane from the repository's main checkout; if the repository moved, move ${home.root} beside it or remove its ${ROOT_MARKER}`,
    ...(cause ? { cause } : {}),
  });
}
