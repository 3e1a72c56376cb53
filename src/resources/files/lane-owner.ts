import { promises as fsp } from 'node:fs';

/** Who files isolane puts into a lane must belong to; undefined: whoever isolane runs as. */
export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The owner of the lane's root directory. A container lane's checkout belongs to the container's
 * user (strategies/container.ts chowns it when isolane runs as root), and so must every file
 * copied in on the host, or the lane could not change or remove it from inside.
 */
export async function laneOwner(laneRoot: string): Promise<Owner | undefined> {
  const st = await fsp.lstat(laneRoot);
  const uid = process.getuid?.();
  if (uid === undefined || (st.uid === uid && st.gid === process.getgid?.())) return undefined;
  return { uid: st.uid, gid: st.gid };
}
