import path from 'node:path';
import { statQuietly } from '../fs/safe-read.js';
import { userCacheDir } from '../fs/user-cache.js';
import type { Ended } from './spawn-git.js';

/** One read-only git call, as far as its result depends on isolane. */
export interface AheadCall {
  /**
   * What the call reads, and which incarnation of it: `ls` names the lane and when it was made,
   * so a lane removed and made again under its name (its checkout half made, say) is read anew.
   */
  readonly key: string;
  readonly cwd: string;
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly watchFifo: boolean;
}

/** What runGit asks of the git calls a command may have had started ahead (src/git/ahead.ts). */
export interface AheadCalls {
  /**
   * How the same call started ahead ends, if one was (each is taken once); `signal` stops it as
   * it would the caller's own. Notes the call for the next plan either way.
   */
  take(call: AheadCall, signal?: AbortSignal): Promise<Ended> | undefined;
  /** Stops what no call took, and keeps this command's calls as the plan for the next. */
  finish(): Promise<void>;
}

/** Where the plan of `ls` run in `cwd` is kept: one small file per directory in the user's cache. */
export interface PlanPlace {
  readonly file: string;
  readonly cwd: string;
}

/**
 * The calls started ahead for `ls` in `cwd` (src/git/ahead.ts, a bundle of its own) where it has
 * a plan; where it has none (its first `ls`, a repository without lanes), only notes of the
 * calls it makes, so that neither that bundle nor a plan is read for nothing.
 */
export async function aheadFor(env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<AheadCalls | undefined> {
  const dir = userCacheDir(env);
  if (dir === undefined) return undefined;
  const place = { file: path.join(dir, 'ahead', `${fnv1a(cwd)}.json`), cwd };
  if (statQuietly(place.file) === undefined) return new CallNotes(place);
  return (await import('./ahead.js')).GitAhead.start(env, place);
}

/** The calls of a command that had no plan: none started, each noted for the plan. */
class CallNotes implements AheadCalls {
  private readonly made: AheadCall[] = [];

  constructor(private readonly place: PlanPlace) {}

  take(call: AheadCall): undefined {
    this.made.push(call);
    return undefined;
  }

  async finish(): Promise<void> {
    if (this.made.length > 0) (await import('./ahead.js')).GitAhead.keep(this.place, this.made);
  }
}

/** A plan's file name: the directory's 32-bit FNV-1a (a collision only costs the plan: it names its directory). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
