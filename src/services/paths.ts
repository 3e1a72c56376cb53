import path from 'node:path';

/**
 * Where a lane's services keep their state: `<git-common-dir>/isolane/services/<lane>/`, one
 * `<service>.json` (state), `<service>.log` (host services' output) and `<service>.lock` each.
 */
export function servicesRoot(stateDir: string): string {
  return path.join(stateDir, 'services');
}

export function laneServicesDir(stateDir: string, lane: string): string {
  return path.join(servicesRoot(stateDir), lane);
}

export function serviceFile(stateDir: string, lane: string, service: string, ext: 'json' | 'log' | 'lock'): string {
  return path.join(laneServicesDir(stateDir, lane), `${service}.${ext}`);
}

/** The one-watcher-per-repository lock and who holds it. */
export function watchLockFile(stateDir: string): string {
  return path.join(servicesRoot(stateDir), 'watch.lock');
}

export function watchHolderFile(stateDir: string): string {
  return path.join(servicesRoot(stateDir), 'watch.json');
}

/**
 * A container lane's service writes its pid and log inside the lane's checkout (the container
 * sees only that): this directory, which git in the lane is told to ignore.
 */
export const IN_LANE_DIR = '.isolane-services';
