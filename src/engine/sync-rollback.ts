import type { Strategy } from '../../strategies/strategy.js';
import { IsolaneError } from '../errors.js';
import { discardedNamespace } from '../git/lane-home.js';
import { OID } from '../git/lane-refs.js';
import { headsRef } from '../git/names.js';
import { abortRebase, rebaseInProgress } from '../git/rebase.js';
import type { LaneRecord } from './journal.js';
import { laneGit, type LaneGit } from './lane-git.js';
import type { Project } from './project.js';
import { readIndex, readSyncMarker, removeSyncMarker, restoreIndex, savedIndex, sha256, type SyncMarker } from './sync-marker.js';

/** How a lane stands against what it was before a rebase: the parts that differ, in words. */
async function differences(lg: LaneGit, marker: SyncMarker): Promise<string[]> {
  const [branch, head, status, index] = await Promise.all([
    lg.git(['rev-parse', '--verify', '--quiet', '--end-of-options', headsRef(marker.branch)], { okExitCodes: [1] }),
    lg.git(['symbolic-ref', '--quiet', 'HEAD'], { okExitCodes: [1] }),
    lg.git(['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all'], { okExitCodes: [128] }),
    readIndex(lg.gitDir),
  ]);
  const found: string[] = [];
  if (branch.stdout.trim() !== marker.oid) found.push(`branch ${marker.branch} at ${branch.stdout.trim().slice(0, 12) || 'nothing'}, not ${marker.oid.slice(0, 12)}`);
  if (head.stdout.trim() !== marker.head) found.push(`HEAD is ${head.stdout.trim() || 'detached'}, not ${marker.head}`);
  if (status.exitCode !== 0 || status.stdout !== '') found.push('its files differ from the commit');
  if ((index ? sha256(index) : null) !== marker.indexSha256) found.push('its index file differs');
  return found;
}

/**
 * The lane was clean when its rebase began, but something may have written to it since: before a
 * `reset --hard`, its changes to tracked files are kept as a stash commit under the lane's
 * discarded namespace (untracked files survive the reset anyway). Returns that ref, if any.
 */
async function keepChanges(project: Project, lg: LaneGit, lane: string): Promise<string | undefined> {
  const made = await lg.git(['-c', 'user.name=isolane', '-c', 'user.email=isolane@localhost', 'stash', 'create', 'isolane sync: changes found while rolling back'], { okExitCodes: [1, 128] });
  const oid = made.stdout.trim();
  if (made.exitCode !== 0 || !OID.test(oid)) return undefined;
  const ref = `${discardedNamespace(lane)}/${project.ctx.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}/sync-changes`;
  await lg.git(['update-ref', '--end-of-options', ref, oid]);
  return ref;
}

export interface RollBack {
  /** What differed after `git rebase --abort` and was put back explicitly (empty: the abort sufficed; its rewritten index is always put back). */
  readonly restored: readonly string[];
}

/**
 * Undoes a rebase isolane started: `git rebase --abort`, then checks the branch, HEAD, the files
 * and the index bytes against the marker, and puts back whatever differs (`reset --hard` is safe
 * only because the lane was clean when the rebase began). Throws, loudly, when the lane still differs.
 */
export async function rollBack(project: Project, lg: LaneGit, marker: SyncMarker): Promise<RollBack> {
  if (await rebaseInProgress(lg.gitDir)) await abortRebase(lg.git);
  const found = await differences(lg, marker);
  if (found.length === 0) return { restored: [] };
  const onlyIndex = found.length === 1 && found[0] === 'its index file differs';
  // A container lane's git directory is the container's to change: isolane writes nothing into it
  // from the host. Its status is clean, so its rewritten index holds exactly HEAD's files.
  if (onlyIndex && !lg.onHost) return { restored: [] };
  if (!onlyIndex) {
    project.ctx.logger.warn(`lane ${marker.lane} was not as before after git rebase --abort (${found.join('; ')}): restoring it to ${marker.oid.slice(0, 12)}`);
    const kept = await keepChanges(project, lg, marker.lane);
    if (kept) found.push(`changes to tracked files made meanwhile are kept at ${kept} (\`git stash apply ${kept}\` in the lane)`);
    await lg.git(['update-ref', '-m', 'isolane sync: roll back', '--end-of-options', headsRef(marker.branch), marker.oid]);
    await lg.git(['symbolic-ref', 'HEAD', marker.head]);
    // git reset takes no --end-of-options (2.39); the marker's oid was checked to be an object id.
    await lg.git(['-c', 'core.hooksPath=/dev/null', 'reset', '--quiet', '--hard', marker.oid]);
  }
  // The abort rewrote the index (new file times): the saved bytes describe the same files.
  const saved = await savedIndex(project.stateDir, marker);
  if (saved && lg.onHost) await restoreIndex(lg.gitDir, saved);
  const left = await differences(lg, marker);
  if (left.length > 0) {
    throw new IsolaneError('INTERNAL', `lane ${marker.lane} could not be put back exactly as it was before the rebase: ${left.join('; ')}`, {
      hint: `its branch was at ${marker.oid}; inspect it (\`isolane path ${marker.lane}\`), e.g. \`git reset --hard ${marker.oid}\` there`,
      data: { lane: marker.lane, oid: marker.oid, differences: left },
    });
  }
  // A rewritten index alone is what every abort leaves: put back quietly; anything else was loud.
  return { restored: onlyIndex ? [] : found };
}

/**
 * Finds a sync of `record`'s lane that was killed half-way (its marker is still there) and undoes
 * it: a rebase left in progress is aborted and the lane checked against what it was. Returns what
 * was done, in words; undefined when there was nothing to do. Call holding the lane lock.
 */
export async function recoverInterruptedSync(project: Project, record: LaneRecord, strategy: Strategy, given?: LaneGit): Promise<string | undefined> {
  const marker = await readSyncMarker(project.stateDir, record.lane);
  if (!marker) return undefined;
  // A worktree lane can write into the shared `.git`, where the marker lives: it must name this lane's own branch.
  if (!('corrupt' in marker) && (marker.branch !== record.branch || marker.head !== headsRef(record.branch))) {
    throw new IsolaneError('BAD_RECORD', `the marker of an interrupted sync of lane ${record.lane} names branch ${marker.branch}, not the lane's ${record.branch}`, { hint: 'inspect the lane, then remove the marker under <git-common-dir>/isolane/sync/' });
  }
  if ('corrupt' in marker) throw new IsolaneError('INTERNAL', `an interrupted sync of lane ${record.lane} left a marker isolane cannot read: ${marker.corrupt}`, { hint: 'inspect the lane (is a rebase in progress there?), then remove the marker' });
  if (!given) await strategy.ready?.(record);
  const lg = given ?? (await laneGit(project, record, strategy));
  if (typeof lg === 'string') throw new IsolaneError('INTERNAL', `an interrupted sync of lane ${record.lane} cannot be checked: ${lg}`);
  let what: string;
  if (await rebaseInProgress(lg.gitDir)) {
    const { restored } = await rollBack(project, lg, marker);
    what = `rolled back a sync interrupted mid-rebase: branch ${marker.branch} is at ${marker.oid.slice(0, 12)} again${restored.length > 0 ? ` (restored: ${restored.join('; ')})` : ''}`;
  } else {
    // No rebase under way: it had not started, or it had finished (the branch then holds its result).
    what = 'an earlier sync was interrupted outside its rebase; nothing was left half-done';
  }
  await removeSyncMarker(project.stateDir, record.lane);
  project.ctx.logger.warn(`lane ${record.lane}: ${what}`);
  return what;
}
