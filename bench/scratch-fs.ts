import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mountAt } from '../src/snapshot/mountinfo.js';
import { canMount } from '../src/snapshot/privilege.js';
import { runTool } from '../src/snapshot/system-tool.js';
import { ext4WithoutJournal, filesystemType } from './host.js';

/** A directory for measurements that should not time the disk: a tmpfs of the bench's own when it may mount one. */
export interface ScratchFs {
  readonly dir: string;
  /** tmpfs, or the normal disk's filesystem (ext4, xfs...). */
  readonly filesystem: string;
  readonly tmpfs: boolean;
  /** Why there is no tmpfs, when there is none. */
  readonly note?: string;
  /** Unmounts the tmpfs (everything in it goes) and removes the directory. */
  release(): Promise<void>;
}

/** umount retries this often when something still holds the tmpfs (a container being removed, say). */
const UNMOUNT_TRIES = 10;

/**
 * `<parent>/scratch`: a tmpfs mounted there when `tmpfs` is asked for and this process may
 * mount (root, or CAP_SYS_ADMIN), else a plain directory on the disk under `parent`, and why.
 */
export async function scratchFs(parent: string, env: Readonly<Record<string, string | undefined>>, opts: { tmpfs: boolean }): Promise<ScratchFs> {
  const dir = path.join(parent, 'scratch');
  await fsp.mkdir(dir, { recursive: true });
  const onDisk = async (note: string): Promise<ScratchFs> => {
    const noJournal = (await ext4WithoutJournal(dir)) === true;
    return {
      dir,
      filesystem: `${await filesystemType(dir)}${noJournal ? ' (no journal)' : ''}`,
      tmpfs: false,
      note: noJournal ? `${note}; it is ext4 without a journal, where a checkout after recent deletions costs kernel time that depends on what ran before (README, Benchmarks)` : note,
      release: () => fsp.rm(dir, { recursive: true, force: true, maxRetries: 3 }),
    };
  };
  if (!opts.tmpfs) return onDisk('on the normal disk, as asked');
  if (process.platform !== 'linux' || !(await canMount())) return onDisk('no tmpfs: mounting one needs root (CAP_SYS_ADMIN), so this ran on the normal disk, whose cost is in these figures');
  const mounted = await runTool({ env }, 'mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'isolane-bench', dir]);
  if (!mounted.ok) return onDisk(`no tmpfs: mount -t tmpfs failed (${mounted.why}), so this ran on the normal disk, whose cost is in these figures`);
  return {
    dir,
    filesystem: 'tmpfs',
    tmpfs: true,
    release: async () => {
      for (let i = 1; (await mountAt(dir))?.fsType === 'tmpfs'; i++) {
        const r = await runTool({ env }, 'umount', [dir]);
        if (r.ok) break;
        if (i >= UNMOUNT_TRIES) throw new Error(`could not unmount the bench's tmpfs at ${dir}: ${r.why} (unmount it with: umount ${dir})`);
        await sleep(500);
      }
      await fsp.rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
