import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { runGit } from '../../git/run-git.js';
import { ensureDirs } from '../files/copy-entry.js';
import { laneOwner, type Owner } from '../files/lane-owner.js';
import { nearestLockfile } from './lockfile.js';
import { reflinkWorks } from './reflink-probe.js';
import { seedTree } from './seed-tree.js';
import { normaliseSharePath } from './share-path.js';

export type ShareMode = 'auto' | 'reflink' | 'hardlink' | 'copy' | 'symlink' | 'none';

export interface ShareOutcome {
  readonly path: string;
  /** The mode used (auto resolved), when the seed was made. */
  readonly mode?: Exclude<ShareMode, 'auto'>;
  readonly files?: number;
  /** Why there is no seed, in words. */
  readonly skipped?: string;
}

/**
 * Phase `prepare`, before set-up: each `share:` directory seeded from the main checkout, when
 * the lane's lockfile is the one it was installed for. A seed only saves time, so one that
 * cannot be made is skipped with a message and set-up installs as it would anyway.
 */
export async function seedShares(project: Project, record: LaneRecord, strategy: Strategy): Promise<ShareOutcome[]> {
  const outcomes: ShareOutcome[] = [];
  if (project.config.share.length === 0) return outcomes;
  const owner = await laneOwner(record.path);
  for (const entry of project.config.share) {
    const rel = normaliseSharePath(entry.path);
    const decided = await whyNot(project, record, strategy, rel, entry.mode, owner);
    if ('why' in decided) {
      project.ctx.logger.warn(`lane ${record.lane}: ${rel} not seeded: ${decided.why}`);
      outcomes.push({ path: rel, skipped: decided.why });
      continue;
    }
    outcomes.push(await seed(project, record, rel, decided.mode, owner));
  }
  return outcomes;
}

type SeedMode = Exclude<ShareMode, 'auto' | 'none'>;

/** The mode to seed in, or why not to seed. */
async function whyNot(project: Project, record: LaneRecord, strategy: Strategy, rel: string, wanted: ShareMode, owner: Owner | undefined): Promise<{ mode: SeedMode } | { why: string }> {
  if (wanted === 'none') return { why: 'mode none' };
  const { repo } = project;
  const source = path.join(repo.root, rel);
  const st = await fsp.lstat(source).catch(() => undefined);
  if (!st?.isDirectory()) return { why: `the main checkout has no directory ${rel} to seed from (install there first)` };
  if (await fsp.lstat(path.join(record.path, rel)).then(() => true, () => false)) return { why: `the lane has ${rel} already` };
  const dir = path.posix.dirname(rel);
  const [main, lane] = await Promise.all([nearestLockfile(repo.root, dir), nearestLockfile(record.path, dir)]);
  if (!main || !lane) return { why: `no lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml) for it ${main ? 'in the lane' : 'in the main checkout'}, so nothing proves the seed fits` };
  if (main.path !== lane.path || main.hash !== lane.hash) return { why: `the lane's ${lane.path} differs from the main checkout's ${main.path}: the installed tree would not fit` };
  if (!strategy.runsOnHost && wanted === 'symlink') return { why: `a symlink to the main checkout leads nowhere where ${strategy.name} lanes run their commands; use copy or auto` };
  if (owner && wanted === 'hardlink') return { why: "hard links share the main checkout's files, which must not change owner to the container's user; use copy or auto" };
  let mode: SeedMode = wanted === 'auto' ? 'copy' : wanted;
  if (wanted === 'auto' || wanted === 'reflink') {
    // auto: a clone where the filesystem makes one (no extra disk, no sharing), else a copy.
    const clones = await reflinkWorks(project.stateDir, record.path);
    if (!clones && wanted === 'reflink') return { why: 'this filesystem cannot clone files (reflink); use auto or copy' };
    mode = clones ? 'reflink' : 'copy';
  }
  // A seed git does not ignore would count as the lane's work (and block a worktree's removal).
  // A symlink is a file to git: `node_modules/` ignores only a directory of that name.
  const asked = mode === 'symlink' ? rel : `${rel}/`;
  // git where the lane's commands run (a container) may not read the host user's global excludes: neither does this check.
  const global = !strategy.runsOnHost ? ['-c', 'core.excludesFile=/dev/null'] : [];
  const ignored = await runGit(project.ctx, record.path, ['-c', `safe.directory=${record.path}`, ...global, 'check-ignore', '-q', '--', asked], { okExitCodes: [1] });
  if (ignored.exitCode !== 0) {
    return {
      why: mode === 'symlink'
        ? `git in the lane would not ignore a symlink ${rel} (a rule ending in / matches directories only); add \`/${rel}\` to .gitignore, or use another mode`
        : `git in the lane does not ignore ${rel}/, so the seed would count as uncommitted work`,
    };
  }
  return { mode };
}

async function seed(project: Project, record: LaneRecord, rel: string, mode: SeedMode, owner: Owner | undefined): Promise<ShareOutcome> {
  const { ctx, repo } = project;
  const source = path.join(repo.root, rel);
  const dest = path.join(record.path, rel);
  await ensureDirs(record.path, path.posix.dirname(rel), repo.root, owner);
  if (mode === 'symlink') {
    await fsp.symlink(source, dest);
    ctx.logger.progress(`lane ${record.lane}: ${rel} is a symlink to ${source}`);
    return { path: rel, mode, files: 0 };
  }
  ctx.logger.progress(`lane ${record.lane}: seeding ${rel} (${mode})`);
  try {
    const count = await seedTree(source, dest, mode, owner);
    for (const s of count.skipped.slice(0, 5)) ctx.logger.warn(`lane ${record.lane}: ${rel}: left out ${s}`);
    return { path: rel, mode, files: count.files };
  } catch (e) {
    // Half a tree is worse than none: set-up installs it whole.
    await fsp.rm(dest, { recursive: true, force: true });
    const why = `seeding failed (${e instanceof Error ? e.message : String(e)}); set-up installs it`;
    ctx.logger.warn(`lane ${record.lane}: ${rel} not seeded: ${why}`);
    return { path: rel, skipped: why };
  }
}
