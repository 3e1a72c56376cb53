import path from 'node:path';
import { statQuietly } from '../fs/safe-read.js';
import { userCacheDir } from '../fs/user-cache.js';
import type { AheadCall, AheadCalls, PlanPlace } from './ahead-call.js';

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
