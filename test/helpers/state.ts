import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { TestRepo } from './repo.js';

/**
 * Everything a command could change, read without isolane: every ref of the main repository and
 * every file and directory under the main checkout (its `.git` included) and the lanes root, with
 * type, size, modification time and (up to 1 MiB) a hash of the contents. Two snapshots are
 * equal only if nothing was written, created, removed or renamed. With `mtimes: false`, only
 * content counts: a file rewritten as it was (git refreshing an index) is no change.
 */
export async function stateSnapshot(repo: TestRepo, extraRoots: readonly string[] = [], opts: { mtimes?: boolean } = {}): Promise<{ refs: string; files: Record<string, string> }> {
  const refs = await repo.git(['for-each-ref', '--format=%(refname) %(objectname)']);
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      const st = await fsp.lstat(p);
      let what = `${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o'} ${st.mode.toString(8)}${opts.mtimes === false ? '' : ` ${st.mtimeMs}`}`;
      if (st.isFile()) what += ` ${st.size} ${st.size <= 2 ** 20 ? createHash('sha1').update(await fsp.readFile(p)).digest('hex') : ''}`;
      if (st.isSymbolicLink()) what += ` -> ${await fsp.readlink(p)}`;
      files[p] = what;
      if (st.isDirectory()) await walk(p);
    }
  };
  for (const root of [repo.root, repo.lanesRoot, ...extraRoots]) await walk(root);
  return { refs, files };
}
