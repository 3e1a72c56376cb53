import path from 'node:path';
import { readTextSafely } from '../fs/safe-read.js';
import { isGitRefName } from './names.js';

/**
 * The branch the main checkout has checked out, read from its HEAD file: what `git symbolic-ref
 * --short HEAD` answers there, without a git process. Undefined whenever the file alone cannot
 * say (a detached HEAD, a HEAD that is a symlink, a ref store git keeps elsewhere, whose HEAD names
 * `refs/heads/.invalid`): the caller asks git then.
 */
export async function headBranchFromFile(commonDir: string): Promise<string | undefined> {
  const text = await readTextSafely(path.join(commonDir, 'HEAD'), { maxBytes: 4096 }).catch(() => undefined);
  const ref = /^ref: (refs\/heads\/[^\n]+)\n?$/.exec(text ?? '')?.[1];
  return ref !== undefined && isGitRefName(ref) ? ref.slice('refs/heads/'.length) : undefined;
}
