import path from 'node:path';
import { DiskTally, laneRoots, linkedInodes } from '../lane/disk-walk.js';
import type { LaneRecord } from './journal.js';
import type { Project } from './project.js';

/**
 * Measures the disk lanes take on their own: allocated blocks of their files (and a worktree's
 * admin dir), each inode once, not counting objects they share with the main repository (a local
 * clone's hard links) nor a base checkout under a snapshot layer. One per command: it walks the
 * main repository's objects once, on first use.
 */
export function laneDiskMeter(project: Project): (record: Pick<LaneRecord, 'lane' | 'strategy' | 'path'> & Partial<LaneRecord>) => Promise<number | undefined> {
  let shared: Promise<Set<string>> | undefined;
  return async (record) => {
    shared ??= linkedInodes([path.join(project.repo.commonDir, 'objects')]);
    const strategy = await project.strategy(record.strategy).catch(() => undefined);
    const own = record.startOid !== undefined && strategy?.diskRoots ? await strategy.diskRoots(record as LaneRecord).catch(() => undefined) : undefined;
    const roots = own ?? (await laneRoots(record.path).catch(() => [record.path]));
    const tally = new DiskTally(await shared);
    return (await tally.add(roots).catch(() => undefined))?.allocatedBytes;
  };
}
