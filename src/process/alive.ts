/** A process with this id runs (ours or another user's); a pid can be reused, so "alive" is only "maybe still the one". */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}
