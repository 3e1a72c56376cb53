import type { Context } from '../../context.js';
import { durationOption } from '../../duration.js';
import { claimLane, releaseLane } from '../../engine/claim.js';
import { Project } from '../../engine/project.js';
import { printJson } from '../output.js';

export async function claimCommand(ctx: Context, lane: string, opts: { ttl: string; as?: string; json?: boolean }): Promise<void> {
  const ttlMs = durationOption(opts.ttl, '--ttl');
  const claim = await claimLane(await Project.open(ctx), lane, { ttlMs, ...(opts.as !== undefined ? { by: opts.as } : {}) });
  if (opts.json) return printJson(claim);
  process.stdout.write(`lane ${lane} claimed by ${claim.by} until ${claim.until} (renewed by activity in the lane; \`isolane release ${lane}\` lets it go)\n`);
}

export async function releaseCommand(ctx: Context, lane: string, opts: { json?: boolean }): Promise<void> {
  const result = await releaseLane(await Project.open(ctx), lane);
  if (opts.json) return printJson(result);
  process.stdout.write(result.released ? `released lane ${lane}\n` : `lane ${lane} was not claimed\n`);
}
