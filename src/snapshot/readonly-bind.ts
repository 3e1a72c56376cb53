import { SnapshotError } from './errors.js';
import { busyError } from './mount.js';
import { mountAt } from './mountinfo.js';
import { runTool, type ToolEnv } from './system-tool.js';

/**
 * Makes `dir` read-only for everyone, root included (EROFS), by bind-mounting it onto itself
 * and remounting that bind read-only. The files keep their modes: those are what overlay copies
 * up into a lane, where the agent must be able to edit them. Idempotent: a read-only mount
 * already there is kept, a bind left read-write (a build killed between the two steps) is
 * made read-only.
 */
export async function bindReadOnly(dir: string, sys: ToolEnv): Promise<void> {
  const existing = await mountAt(dir);
  if (existing?.mountOptions.split(',').includes('ro')) return;
  if (!existing) {
    const bind = await runTool(sys, 'mount', ['--bind', dir, dir]);
    if (!bind.ok) throw new SnapshotError('MOUNT_FAILED', `could not bind-mount the base ${dir} onto itself: ${bind.why}`, { data: { stderr: bind.stderr } });
  }
  const ro = await runTool(sys, 'mount', ['-o', 'remount,bind,ro', dir]);
  if (ro.ok) return;
  await runTool(sys, 'umount', [dir]);
  throw new SnapshotError('MOUNT_FAILED', `could not make the base ${dir} read-only: ${ro.why}`, { data: { stderr: ro.stderr } });
}

/** Removes the read-only bind, if any. A base some lane still sits on is busy: reported, kept. */
export async function unbindReadOnly(dir: string, sys: ToolEnv): Promise<void> {
  // A bind made twice (two crashed builds) stacks: take every layer off.
  for (let i = 0; i < 8 && (await mountAt(dir)); i++) {
    const result = await runTool(sys, 'umount', [dir]);
    if (result.ok) continue;
    if (/busy/i.test(result.stderr)) throw await busyError(dir, result);
    throw new SnapshotError('UNMOUNT_FAILED', `could not unmount the read-only bind of the base ${dir}: ${result.why}`, { data: { stderr: result.stderr } });
  }
}
