import type Docker from 'dockerode';
import { execInContainer } from './exec.js';

/** The name the lane's user gets when the image has none for its uid. */
export const CONTAINER_USER = 'isolane';

/**
 * Adds the lane's uid and gid to the container's /etc/passwd and /etc/group when the image has
 * no entry for them, so `whoami` and the shell prompt show a name (not "I have no name!").
 * Runs once, as root without capabilities (enough to write root's own files), right after the
 * container starts; the entries live in the container's layer, so they last while it does.
 */
const SCRIPT = [
  'uid=$1; gid=$2; name=$3',
  'if grep -q "^$name:" /etc/passwd || grep -q "^$name:" /etc/group; then name="lane$uid"; fi',
  'grep -q "^[^:]*:[^:]*:$gid:" /etc/group || echo "$name:x:$gid:" >> /etc/group',
  'shell=/bin/sh; [ -x /bin/bash ] && shell=/bin/bash',
  'grep -q "^[^:]*:[^:]*:$uid:" /etc/passwd || echo "$name:x:$uid:$gid:isolane lane:/tmp:$shell" >> /etc/passwd',
].join('\n');

export async function nameContainerUser(container: Docker.Container, uid: number, gid: number): Promise<{ ok: boolean; why: string }> {
  const r = await execInContainer(container, ['sh', '-c', SCRIPT, 'sh', String(uid), String(gid), CONTAINER_USER], {
    env: {},
    stdio: 'pipe',
    workdir: '/',
    user: '0:0',
    timeoutMs: 30_000,
  });
  return { ok: r.exitCode === 0, why: r.stderr.trim().slice(0, 200) };
}
