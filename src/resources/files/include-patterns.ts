import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { readTextSafely } from '../../fs/safe-read.js';

/** The file at the repository root that names ignored files every new lane gets (gitignore syntax). */
export const WORKTREEINCLUDE = '.worktreeinclude';
const MAX_INCLUDE_BYTES = 64 * 1024;

/**
 * What a new lane copies of the main checkout's ignored files: `.worktreeinclude` (the convention
 * other agent tools read) and isolane.yaml's `copy:`, both gitignore patterns. Undefined when
 * neither names anything, so a project without them pays for no listing.
 */
export async function includePatterns(repoRoot: string, copy: readonly string[]): Promise<Ignore | undefined> {
  const text = await readTextSafely(path.join(repoRoot, WORKTREEINCLUDE), { maxBytes: MAX_INCLUDE_BYTES });
  const lines = (text ?? '').split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0 && copy.length === 0) return undefined;
  return ignore().add(lines).add([...copy]);
}
