import type { Context } from '../context.js';

/**
 * Named points inside long operations. Tests use them to kill a process at a known step
 * (see Context.checkpoint); in normal runs this does nothing.
 */
export async function checkpoint(ctx: Context, name: string): Promise<void> {
  await ctx.checkpoint?.(name);
}
