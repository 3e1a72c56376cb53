import path from 'node:path';
import { lstatOrUndefined, readTextSafely, unsafePath } from '../../fs/safe-read.js';
import type { Project } from '../../engine/project.js';
import { writeInside } from './safe-write.js';

const HEADER = '# isolane: env files written into lanes (isolane.yaml env.files)';

/**
 * Makes git in the lane ignore the env files isolane wrote there, so they are never committed
 * (and never count as uncommitted work at `down`). A lane with a `.git` directory of its own
 * (clone, container) gets them in its `info/exclude`. Git reads a worktree's excludes only from
 * the common `info/exclude`, so for a worktree lane the anchored patterns go there, under the
 * repository lock: they then apply to that path in every checkout of the repository, a file
 * that is isolane's by name.
 */
export async function excludeInLane(project: Project, lanePath: string, files: readonly string[]): Promise<void> {
  const dotGit = path.join(lanePath, '.git');
  const stat = await lstatOrUndefined(dotGit);
  if (stat?.isDirectory()) return addPatterns(dotGit, files);
  if (stat?.isFile()) return project.withRepoLock(() => addPatterns(project.repo.commonDir, files));
  throw unsafePath(dotGit, stat ? 'is neither a git directory nor a worktree link' : 'does not exist');
}

async function addPatterns(gitDir: string, files: readonly string[]): Promise<void> {
  const file = path.join(gitDir, 'info', 'exclude');
  const text = (await readTextSafely(file, { maxBytes: 1 << 20 })) ?? '';
  const lines = new Set(text.split('\n').map((l) => l.trim()));
  // Anchored: only that path from the checkout's root, nothing of the same name deeper down.
  const wanted = files.map((f) => `/${escapePattern(f)}`).filter((p) => !lines.has(p));
  if (wanted.length === 0) return;
  const head = lines.has(HEADER) ? [] : [HEADER];
  const body = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${[...head, ...wanted].join('\n')}\n`;
  await writeInside(gitDir, 'info/exclude', body, 0o644);
}

/** Gitignore's special characters taken literally. */
function escapePattern(file: string): string {
  return file.replace(/[\\*?[\]!#]/g, (c) => `\\${c}`).replace(/ $/, '\\ ');
}
