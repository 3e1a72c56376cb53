import { IsolaneError } from '../errors.js';
import { assertLaneName, headsRef } from '../git/names.js';
import { resolveRevisions } from '../git/resolve.js';
import { branchUpstream, fetchRemote, fetchWithoutRefs, type Upstream } from '../git/upstream.js';
import type { Project } from './project.js';
import { syncLane, type LaneSync, type SyncTarget } from './sync-lane.js';

export type { LaneSync, LaneSyncResult } from './sync-lane.js';

export interface SyncOptions {
  /** Lanes to sync; none with `all`. */
  readonly lanes?: readonly string[];
  /** Every lane of the repository. */
  readonly all?: boolean;
  /** Report what would happen (conflicts by `git merge-tree`); the base is still fetched, but no ref or lane file moves. */
  readonly dryRun?: boolean;
  /** Use the base as last fetched: no fetch at all. */
  readonly fetch?: boolean;
}

/** What a lane's base was synced onto: the base's upstream as just fetched, or the local branch. */
export interface SyncBase {
  readonly base: string;
  /** The remote fetched for it; undefined when the base has no upstream (or with fetch off). */
  readonly remote: string | undefined;
  readonly fetched: boolean;
  /** The ref the lanes are rebased onto (FETCH_HEAD in a dry run that fetched). */
  readonly ref: string | undefined;
  readonly oid: string | undefined;
  /** Why no fetch, or why the base could not be resolved. */
  readonly note?: string;
}

export interface SyncReport {
  readonly dryRun: boolean;
  readonly bases: readonly SyncBase[];
  readonly lanes: readonly LaneSync[];
}

/**
 * `isolane sync`: one fetch of each base's upstream remote for the whole repository, then each
 * selected lane rebased onto its base's updated commit, one at a time, each holding its lane lock.
 * A lane that conflicts is rolled back to exactly what it was; a lane with uncommitted work, off
 * its branch or not settled is skipped, with the reason.
 */
export async function sync(project: Project, opts: SyncOptions): Promise<SyncReport> {
  const { ctx, journal } = project;
  const dryRun = opts.dryRun === true;
  const lanes = await select(project, opts);
  const records = (await Promise.all(lanes.map((l) => journal.read(l)))).filter((r) => r !== undefined);
  const projectBase = records.some((r) => !r.base) || records.length === 0 ? await project.baseBranch().catch(() => undefined) : undefined;
  const bases = [...new Set(records.map((r) => r.base || projectBase).filter((b): b is string => b !== undefined))];
  const resolved = await resolveTargets(project, bases, dryRun, opts.fetch !== false);
  const targets = new Map<string, SyncTarget | string>(resolved.map((b) => [b.base, b.ref && b.oid ? { ref: b.ref, oid: b.oid } : (b.note ?? `its base ${b.base} does not resolve to a commit`)]));
  const results: LaneSync[] = [];
  for (const lane of lanes) {
    ctx.logger.progress(`${dryRun ? 'checking' : 'syncing'} lane ${lane}`);
    results.push(await syncLane(project, lane, targets, dryRun));
  }
  return { dryRun, bases: resolved, lanes: results };
}

/** The lanes named (each must exist: checked before anything is fetched), or every recorded lane. */
async function select(project: Project, opts: SyncOptions): Promise<string[]> {
  const named = [...new Set(opts.lanes ?? [])];
  if (opts.all && named.length > 0) throw new IsolaneError('USAGE', 'name lanes or pass --all, not both', { hint: 'isolane sync <lane>... | --all' });
  if (!opts.all && named.length === 0) throw new IsolaneError('USAGE', 'no lane given', { hint: 'isolane sync <lane>... syncs those lanes; isolane sync --all syncs every lane' });
  if (opts.all) {
    const { records, corrupt } = await project.journal.list();
    for (const c of corrupt) project.ctx.logger.warn(`lane ${c.lane} is left out: its record is corrupt (${c.problem})`);
    return records.map((r) => r.lane);
  }
  named.forEach(assertLaneName);
  const missing = [];
  for (const lane of named) if ((await project.journal.readText(lane)) === undefined) missing.push(lane);
  if (missing.length > 0) {
    throw new IsolaneError('LANE_NOT_FOUND', `no lane named ${missing.join(', ')} in ${project.repo.root}`, { hint: '`isolane ls` lists the lanes; nothing was fetched or changed', data: { lanes: missing } });
  }
  return named;
}

/**
 * Each base's target, with one fetch per remote (one for the whole repository in the usual case):
 * a real sync fetches the remote as configured (its remote-tracking refs move) and takes the
 * base's upstream ref; a dry run fetches only the bases' branches into FETCH_HEAD, moving no ref.
 */
async function resolveTargets(project: Project, bases: readonly string[], dryRun: boolean, fetch: boolean): Promise<SyncBase[]> {
  const { ctx, repo } = project;
  const upstreams = new Map<string, Upstream>();
  const broken = new Map<string, string>();
  for (const base of bases) {
    // A base isolane will not fetch for (a record naming a strange branch) fails its lanes, not the sync.
    await branchUpstream(ctx, repo.root, base).then(
      (up) => upstreams.set(base, up),
      (e: unknown) => broken.set(base, e instanceof Error ? e.message : String(e)),
    );
  }
  const byRemote = new Map<string, string[]>();
  for (const [base, up] of upstreams) if (up.remote && fetch) byRemote.set(up.remote, [...(byRemote.get(up.remote) ?? []), base]);
  const fetchedOids = new Map<string, string>();
  if (byRemote.size > 0) await project.withRepoLock(async () => {
    for (const [remote, of] of byRemote) {
      ctx.logger.progress(`fetching ${remote}`);
      if (!dryRun) {
        await fetchRemote(ctx, repo.root, remote);
        continue;
      }
      const merged = of.filter((b) => upstreams.get(b)?.merge);
      if (merged.length === 0) continue;
      const oids = await fetchWithoutRefs(ctx, repo.root, repo.commonDir, remote, merged.map((b) => upstreams.get(b)!.merge!));
      merged.forEach((b, i) => fetchedOids.set(b, oids[i]!));
    }
  });
  const out: SyncBase[] = [];
  for (const base of bases) {
    const up = upstreams.get(base);
    if (!up) {
      out.push({ base, remote: undefined, fetched: false, ref: undefined, oid: undefined, note: broken.get(base) ?? 'not resolved' });
      continue;
    }
    const fetched = up.remote !== undefined && fetch;
    const dryOid = fetchedOids.get(base);
    const ref = dryOid ? 'FETCH_HEAD' : (up.tracking ?? headsRef(base));
    const [resolved] = dryOid ? [{ oid: dryOid }] : await resolveRevisions(ctx, repo.root, [`${ref}^{commit}`]);
    const note = !up.remote ? `${base} has no upstream remote: nothing fetched, lanes are rebased onto the local ${base}` : !fetch ? `not fetched: lanes are rebased onto ${ref} as last fetched` : undefined;
    if (note) ctx.logger.progress(note);
    out.push({ base, remote: up.remote, fetched, ref, oid: resolved?.oid, ...(note ? { note } : {}) });
  }
  return out;
}
