import type { Context } from '../../context.js';
import { Project } from '../../engine/project.js';
import { readyLane } from '../../engine/ready-lane.js';

/**
 * Mounts again a lane whose files are a mount lost in a reboot, before anyone goes there. Apart
 * from path.ts, which loads this only then: it opens the project and its strategies.
 */
export async function remount(ctx: Context, lane: string): Promise<void> {
  const project = await Project.open(ctx);
  const hold = await project.tryLaneLock(lane, ctx.lockTimeoutMs, true, true);
  if (!hold) return; // busy: whoever holds it acts in it, and mounts it
  try {
    const record = await readyLane(project, lane, true);
    project.checkRecord(record);
    await (await project.strategy(record.strategy)).ready?.(record);
  } finally {
    await hold.release();
  }
}
