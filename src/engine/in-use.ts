import { readActivity } from '../lane/activity.js';
import { holds, readClaim } from '../lane/claims.js';
import type { Project } from './project.js';
import { runningServices } from '../services/state.js';

/**
 * Why a lane is in use now, in words; empty when it is not. In use: claimed by an agent (a claim
 * that has not lapsed), running a command through `isolane run` or `shell` (isolane's process or
 * the command's still alive), or running a service. gc never removes a lane in use.
 */
export async function inUseReasons(project: Project, lane: string): Promise<string[]> {
  const now = project.ctx.now();
  const [claim, activity, services] = await Promise.all([readClaim(project.stateDir, lane), readActivity(project.stateDir, lane), runningServices(project, lane).catch(() => [] as string[])]);
  const reasons: string[] = [];
  if (holds(claim, now)) reasons.push(`claimed by ${claim.by} until ${claim.until}`);
  for (const a of activity.live) reasons.push(`${a.what} running (pid ${a.command?.pid ?? a.isolane.pid}, since ${a.since})`);
  if (services.length > 0) reasons.push(`service${services.length === 1 ? '' : 's'} ${services.join(', ')} running (\`isolane stop ${lane}\` stops ${services.length === 1 ? 'it' : 'them'})`);
  return reasons;
}
