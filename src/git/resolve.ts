import type { Context } from '../context.js';
import { gitCommands } from './commands.js';
import { readBranchTips } from './ref-files.js';
import { runGit } from './run-git.js';

// `missing` and `ambiguous` lines carry the name, not an object id.
const OBJECT_TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

export interface Resolved {
  readonly oid: string;
  readonly type: string;
}

/**
 * Resolves several revisions with one git process (`cat-file --batch-check`); a name that
 * does not resolve maps to undefined. Names travel on stdin, one per line, so they can never
 * be taken for options; a name with a newline would split and is refused by the callers' checks.
 * Branches of a main checkout (`cwd` its root) are read from the ref files where that is certain
 * (ref-files.ts): no git process at all.
 */
export async function resolveRevisions(ctx: Context, cwd: string, names: readonly string[]): Promise<Array<Resolved | undefined>> {
  if (names.some((n) => n.includes('\n'))) throw new TypeError('revision names must not contain newlines');
  const tips = await readBranchTips(cwd, names);
  if (tips) return tips.map((oid) => (oid === null ? undefined : { oid, type: 'commit' }));
  const { stdout } = await runGit(ctx, cwd, gitCommands.resolveBatch(), { input: `${names.join('\n')}\n` });
  const lines = stdout.split('\n');
  return names.map((_, i) => {
    const [oid, type] = (lines[i] ?? '').split(' ');
    return oid && type && OBJECT_TYPES.has(type) && /^[0-9a-f]{40,64}$/.test(oid) ? { oid, type } : undefined;
  });
}
