import { promises as fsp } from 'node:fs';
import { laneServicesDir } from './paths.js';

/** Removes what a lane's services kept (state, logs, locks): `release`, once the lane is gone. */
export async function releaseServices(stateDir: string, lane: string): Promise<string[]> {
  try {
    await fsp.rm(laneServicesDir(stateDir, lane), { recursive: true, force: true });
    return [];
  } catch (e) {
    return [`its services' state could not be removed: ${e instanceof Error ? e.message : String(e)}`];
  }
}
