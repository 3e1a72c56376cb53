import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { roughDuration } from '../duration.js';
import { headsRef } from '../git/names.js';
import { baseTips, mergedInto, stashedOn, upstreamGone, type MergedHow } from '../git/merged.js';
import { runGit } from '../git/run-git.js';
import { activityDir } from '../lane/activity.js';
import { readClaim } from '../lane/claims.js';
import { inUseReasons } from './in-use.js';
import type { LaneSummary } from './list.js';
import type { Project } from './project.js';

export interface GcLaneOptions {
  /** Lanes whose branch reached the base (merge, squash, rebase) are removed. */
  readonly merged?: boolean;
  /** Only lanes idle longer than this; alone: idle lanes with no commits of their own. */
  readonly olderThanMs?: number;
}

/** What gc does with one lane, and why. */
export interface LaneVerdict {
  readonly lane: string;
  readonly strategy: string;
  readonly state: string;
  readonly path: string;
  readonly remove: boolean;
  readonly reasons: readonly string[];
  /** Its directory is gone (missing, or an orphan git still lists): only its branch can hold work. */
  readonly gone: boolean;
  /** Found merged: down may let its commits go (they are in the base). */
  readonly merged?: { readonly tip: string; readonly base: string; readonly how: MergedHow };
}

/** Facts about the repository gc reads once for all lanes. */
export interface RepoFacts {
  /** Stash entries of the main repository: oid and subject. */
  readonly stash: ReadonlyArray<{ readonly oid: string; readonly subject: string }>;
  baseTipsOf(base: string): Promise<Array<{ ref: string; oid: string }>>;
}

export async function repoFacts(project: Project): Promise<RepoFacts> {
  const { ctx, repo } = project;
  const r = await runGit(ctx, repo.root, ['stash', 'list', '--format=%H%x00%s'], { okExitCodes: [1, 128] });
  const stash = r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean).map((l) => ({ oid: l.split('\0')[0] ?? '', subject: l.split('\0')[1] ?? '' })) : [];
  const bases = new Map<string, Promise<Array<{ ref: string; oid: string }>>>();
  return {
    stash,
    baseTipsOf(base) {
      let tips = bases.get(base);
      if (!tips) bases.set(base, (tips = baseTips(ctx, repo.root, base)));
      return tips;
    },
  };
}

const dirGone = (s: LaneSummary): boolean => s.state === 'missing' || (s.state === 'orphan' && s.note?.startsWith('registered with git') === true);
const keep = (s: LaneSummary, reasons: string[]): LaneVerdict => ({ lane: s.lane, strategy: s.strategy, state: s.state, path: s.path, gone: dirGone(s), remove: false, reasons });

/**
 * Whether gc removes the lane `ls` summarised, and why. Only lanes that are broken (directory or
 * container gone, half-made, no record) or, when asked, merged or idle are candidates; a candidate
 * in use or holding work is kept, with the reason. `down` checks the work again at removal.
 */
export async function judgeLane(project: Project, s: LaneSummary, opts: GcLaneOptions, facts: RepoFacts): Promise<LaneVerdict> {
  const why = await candidacy(project, s, opts, facts);
  if (typeof why !== 'object') return keep(s, [why]);
  const blockers = [...(await inUseReasons(project, s.lane)), ...(await workIn(project, s, facts))];
  if (blockers.length > 0) return keep(s, blockers);
  return { lane: s.lane, strategy: s.strategy, state: s.state, path: s.path, gone: dirGone(s), remove: true, reasons: [why.reason], ...(why.merged ? { merged: why.merged } : {}) };
}

type Candidacy = { reason: string; merged?: LaneVerdict['merged'] } | string;

async function candidacy(project: Project, s: LaneSummary, opts: GcLaneOptions, facts: RepoFacts): Promise<Candidacy> {
  switch (s.state) {
    case 'corrupt':
      return `its record is corrupt (${s.note ?? 'unreadable'}): inspect it; \`isolane down ${s.lane} --force\` removes the record`;
    case 'creating':
    case 'removing':
      return `another isolane process is ${s.state === 'creating' ? 'creating' : 'removing'} it now`;
    case 'error':
      return `it could not be inspected: ${s.note ?? 'unknown error'}`;
    case 'interrupted':
      return { reason: `half-made: ${s.note ?? 'a process was killed while creating or removing it'}` };
    case 'missing':
      return { reason: 'its directory is gone' };
    case 'orphan':
      return { reason: dirGone(s) ? 'registered with git, its directory gone, no isolane record' : 'isolane made it, but it has no record' };
    default:
      break;
  }
  if (s.unchecked && s.unchecked.length > 0 && s.state !== 'unmounted') return `it could not be checked, so it may hold work: ${s.unchecked.join('; ')}`;
  if (s.broken) return { reason: s.broken };
  const idle = opts.olderThanMs === undefined ? undefined : await idleFor(project, s);
  if (idle !== undefined && opts.olderThanMs !== undefined && idle < opts.olderThanMs) return `active ${roughDuration(idle)} ago (--older-than ${roughDuration(opts.olderThanMs)})`;
  if (!s.tip) return s.state === 'unmounted' ? 'its files are not mounted, so its branch was not read (any `isolane run` mounts them)' : 'its branch could not be read';
  if (s.moved === false) {
    if (opts.olderThanMs !== undefined && idle !== undefined) return { reason: `idle for ${roughDuration(idle)}, no commits of its own` };
    return 'no commits of its own yet (`gc --older-than <duration>` removes idle ones)';
  }
  if (!opts.merged) return 'has commits of its own (`gc --merged` removes lanes merged into their base)';
  const merged = await mergedTip(project, s, facts);
  if (typeof merged === 'string') return merged;
  const gone = await upstreamGone(project.ctx, project.repo.root, headsRef(s.branch ?? ''));
  const how = merged.how === 'merged' ? 'merged' : merged.how === 'squash-merged' ? 'squash-merged (its changes are in the base)' : 'rebase-merged (its patches are in the base)';
  return { reason: `${how} into ${merged.ref}${gone ? `; its upstream ${gone} was deleted` : ''}`, merged: { tip: s.tip, base: merged.oid, how: merged.how } };
}

async function mergedTip(project: Project, s: LaneSummary, facts: RepoFacts): Promise<{ how: MergedHow; ref: string; oid: string } | string> {
  const { ctx, repo } = project;
  const tip = s.tip ?? '';
  const here = await runGit(ctx, repo.root, ['cat-file', '-e', '--end-of-options', `${tip}^{commit}`], { okExitCodes: [1, 128] });
  if (here.exitCode !== 0) return `its commits are only in the lane so far (\`isolane fetch ${s.lane}\` brings them home)`;
  const tips = await facts.baseTipsOf(s.base ?? '');
  if (tips.length === 0) return `its base ${s.base ?? '?'} does not exist`;
  for (const b of tips) {
    const how = await mergedInto(ctx, repo.root, path.join(repo.commonDir, 'objects'), tip, b.oid);
    if (how) return { how, ref: b.ref.replace(/^refs\/(heads|remotes)\//, ''), oid: b.oid };
  }
  return `not merged into ${tips.map((b) => b.ref.replace(/^refs\/(heads|remotes)\//, '')).join(' or ')}`;
}

/** What in the lane would be lost, in words; unknown parts are left to `down`'s own checks. */
async function workIn(project: Project, s: LaneSummary, facts: RepoFacts): Promise<string[]> {
  const reasons: string[] = [];
  if (s.dirty !== undefined && s.dirty > 0) reasons.push(`${s.dirty} uncommitted or untracked file${s.dirty === 1 ? '' : 's'}`);
  const stashes = await laneStashes(project, s, facts);
  if (stashes > 0) reasons.push(`${stashes} stash entr${stashes === 1 ? 'y' : 'ies'}`);
  return reasons;
}

/** Stash entries made in the lane: in a repository of its own, all of them; in the shared one, those made on its branch. */
async function laneStashes(project: Project, s: LaneSummary, facts: RepoFacts): Promise<number> {
  const shared = facts.stash.filter((e) => s.branch !== undefined && stashedOn(e.subject, s.branch)).length;
  const record = await project.journal.read(s.lane).catch(() => undefined);
  if (!record || s.state === 'missing') return shared;
  const strategy = await project.strategy(record.strategy);
  const access = await strategy.open(record).catch(() => undefined);
  try {
    const own = (await access?.reader?.refs().catch(() => undefined))?.stash ?? [];
    const mainOids = new Set(facts.stash.map((e) => e.oid));
    return shared + own.filter((oid) => !mainOids.has(oid)).length;
  } finally {
    await access?.close();
  }
}

/**
 * How long since anything was seen of the lane: its creation, its last commit, a claim, a
 * command run through isolane, or its record being written (set-up).
 */
async function idleFor(project: Project, s: LaneSummary): Promise<number> {
  const times: number[] = [];
  if (s.createdAt) times.push(Date.parse(s.createdAt));
  if (s.tip && s.moved) {
    const r = await runGit(project.ctx, project.repo.root, ['log', '-1', '--format=%ct', '--end-of-options', s.tip], { okExitCodes: [128] });
    const t = Number(r.stdout.trim());
    if (r.exitCode === 0 && Number.isFinite(t) && t > 0) times.push(t * 1000);
  }
  const claim = await readClaim(project.stateDir, s.lane);
  if (claim) times.push(Math.min(Date.parse(claim.until) - claim.ttlMs, project.ctx.now().getTime()));
  for (const p of [activityDir(project.stateDir, s.lane), project.journal.file(s.lane)]) {
    const st = await fsp.stat(p).catch(() => undefined);
    if (st) times.push(st.mtimeMs);
  }
  const last = Math.max(...times.filter(Number.isFinite), 0);
  return Math.max(0, project.ctx.now().getTime() - last);
}
