import path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { LaneRecord } from '../../engine/journal.js';
import type { Strategy } from '../../../strategies/strategy.js';
import type { Project } from '../../engine/project.js';
import { runGit } from '../../git/run-git.js';
import { excludeInLane } from '../env/exclude.js';
import { ensureDirs, placeEntry } from './copy-entry.js';
import { ignoredFiles } from './ignored-files.js';
import { includePatterns } from './include-patterns.js';
import { laneOwner } from './lane-owner.js';

/** Bounds of what one lane copies: larger files are skipped, and copying stops at the total. */
const MAX_FILE_BYTES = 256 * 2 ** 20;
const MAX_TOTAL_BYTES = 2 * 2 ** 30;
const MAX_FILES = 10_000;

export interface CopyReport {
  readonly copied: readonly string[];
  /** Matched but not copied, with why. */
  readonly skipped: readonly string[];
}

/**
 * Phase `prepare`: the main checkout's ignored files that `.worktreeinclude` or `copy:` name,
 * copied into the new lane (clones where the filesystem can), each with its mode, owned as the
 * lane is. Files the lane already has are left alone.
 */
export async function copyIgnoredFiles(project: Project, record: LaneRecord, strategy: Strategy): Promise<CopyReport> {
  const { ctx, repo } = project;
  const patterns = await includePatterns(repo.root, project.config.copy);
  if (!patterns) return { copied: [], skipped: [] };
  const lanesRoot = path.relative(repo.root, project.lanesRoot);
  const insideLanes = (rel: string): boolean => !lanesRoot.startsWith('..') && lanesRoot !== '' && (rel === lanesRoot || rel.startsWith(`${lanesRoot}/`));
  const wanted = (await ignoredFiles(ctx, repo.root)).filter((rel) => patterns.ignores(rel) && !insideLanes(rel));
  const owner = await laneOwner(record.path);
  const copied: string[] = [];
  const skipped: string[] = [];
  let total = 0;
  for (const rel of wanted) {
    const source = path.join(repo.root, rel);
    const st = await fsp.lstat(source).catch(() => undefined);
    if (!st) continue; // removed since git listed it
    if (copied.length >= MAX_FILES || total + st.size > MAX_TOTAL_BYTES) {
      skipped.push(`${rel}: over the limit of ${MAX_FILES} files or ${MAX_TOTAL_BYTES} bytes a lane copies`);
      continue;
    }
    if (st.size > MAX_FILE_BYTES) {
      skipped.push(`${rel}: ${st.size} bytes, more than the ${MAX_FILE_BYTES} copied`);
      continue;
    }
    const dest = path.join(record.path, rel);
    if (await fsp.lstat(dest).then(() => true, () => false)) {
      skipped.push(`${rel}: already in the lane, kept`);
      continue;
    }
    await ensureDirs(record.path, path.posix.dirname(rel), repo.root, owner);
    const done = await placeEntry(source, st, dest, repo.root, 'copy', owner);
    if (done.placed) {
      copied.push(rel);
      total += done.bytes;
    } else skipped.push(`${rel}: ${done.why}`);
  }
  await keepIgnored(project, record, copied, strategy.runsOnHost);
  if (copied.length > 0) ctx.logger.progress(`copied ${copied.length} ignored file${copied.length === 1 ? '' : 's'} into lane ${record.lane}`);
  for (const s of skipped) ctx.logger.warn(`lane ${record.lane}: not copied: ${s}`);
  return { copied, skipped };
}

/**
 * A copy must stay ignored in the lane, or `down` would count it as uncommitted work: the main
 * checkout may ignore it through its own info/exclude or the user's global excludes, which a
 * clone lane, or git inside a container, does not read. Those the lane's git does not ignore go
 * into its exclude file (anchored). The lane is fresh: its git config is isolane's own.
 */
async function keepIgnored(project: Project, record: LaneRecord, copied: readonly string[], onHost: boolean): Promise<void> {
  if (copied.length === 0) return;
  // git where the lane runs its commands (a container) may read no global excludes of the host user's: neither does this check.
  const global = !onHost ? ['-c', 'core.excludesFile=/dev/null'] : [];
  const { stdout } = await runGit(project.ctx, record.path, ['-c', `safe.directory=${record.path}`, ...global, 'check-ignore', '-z', '--stdin'], { input: `${copied.join('\0')}\0`, okExitCodes: [1] });
  const ignored = new Set(stdout.split('\0').filter(Boolean));
  const not = copied.filter((f) => !ignored.has(f));
  if (not.length > 0) await excludeInLane(project, record.path, not);
}
