import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../src/context.js';
import { IsolaneError, WouldLoseWorkError } from '../src/errors.js';
import { worktreeAdminDir } from '../src/git/worktree-admin.js';
import { hostReader } from '../src/lane/host-reader.js';
import { dirtyFiles, unsavedSubmoduleCommits } from '../src/lane/inspect.js';
import { lstatOrUndefined, readTextSafely } from '../src/fs/safe-read.js';
import type { LaneRecord } from '../src/lane/record.js';
import { acquireBase, listBases, releaseBase, type BaseIo } from '../src/snapshot/base-checkout.js';
import { cgroupsWithhold } from './host-limits.js';
import { probeSnapshotBackends, type BackendProbe, type SnapshotBackend } from '../src/snapshot/backends.js';
import { filesystemOf, nearestExisting } from '../src/snapshot/fs-kind.js';
import { isMountingBackend, SNAPSHOT_BACKENDS } from '../src/snapshot/backend.js';
import { copyGitFileToUpper, copyLaneIndex } from '../src/snapshot/lane-index.js';
import { isSnapshotError } from '../src/snapshot/errors.js';
import { mountLayer, unmountLayer } from '../src/snapshot/mount.js';
import { isMounted } from '../src/snapshot/mountinfo.js';
import { bindReadOnly } from '../src/snapshot/readonly-bind.js';
import { canMount } from '../src/snapshot/privilege.js';
import { findTool, runTool } from '../src/snapshot/system-tool.js';
import { runGit } from '../src/git/run-git.js';
import type { SnapshotSettings } from './snapshot-settings.js';
import { defineStrategy, type BenchPlaces, type BenchVariant, type LaneAccess, type Leftover, type LaneSpec, type OpenHints, type ProbeKit, type ProbeResult, type Strategy, type StrategyKit, type SweepKit } from './strategy.js';
import { LANE_NAME } from '../src/git/names.js';
import { worktreeLanes } from './worktree.js';

type Settings = SnapshotSettings;

/**
 * Which backends work here, proven by really using each once (probeSnapshotBackends), and kept
 * in the strategy's state keyed by what decides it (user, kernel, the filesystems of the state
 * and of the lanes root, the fuse tool): the proof mounts twice, which `up` must not pay each time.
 */
async function provenBackends(kit: ProbeKit<Settings>): Promise<BackendProbe> {
  const devOf = async (dir: string): Promise<number> => (await fsp.stat(await nearestExisting(dir))).dev;
  const fuse = (await findTool(kit.ctx.env, 'fuse-overlayfs')) ?? '';
  const key = [process.getuid?.() ?? -1, os.release(), await devOf(kit.stateDir), await devOf(kit.lanesRoot), fuse].join(' ');
  const file = path.join(kit.stateDir, 'backends.json');
  const kept = await readTextSafely(file, { maxBytes: 16_384 }).catch(() => undefined);
  try {
    const parsed = kept === undefined ? undefined : (JSON.parse(kept) as { key?: unknown; probe?: BackendProbe });
    if (parsed?.key === key && parsed.probe && Array.isArray(parsed.probe.usable) && parsed.probe.usable.every((b) => SNAPSHOT_BACKENDS.includes(b))) return parsed.probe;
  } catch {
    // not ours, or half-written: proven again below
  }
  if (kit.look) return judgeWithoutWriting(kit, fuse);
  const probe = await probeSnapshotBackends({ scratchDir: kit.stateDir, lanesRoot: kit.lanesRoot, env: kit.ctx.env, ...(kit.ctx.signal ? { signal: kit.ctx.signal } : {}) });
  const temp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(temp, JSON.stringify({ key, probe }));
  await fsp.rename(temp, file);
  return probe;
}

/**
 * For a command that only reads: what can be told without mounting or writing anything (may
 * this process mount, is fuse-overlayfs there, does the lanes root's filesystem clone files).
 * The first lane made proves it.
 */
async function judgeWithoutWriting(kit: ProbeKit<Settings>, fuse: string): Promise<BackendProbe> {
  const unproven = ' (not yet proven: the first snapshot lane proves it)';
  const [mount, fs, devFuse] = await Promise.all([canMount(), filesystemOf(kit.lanesRoot), fsp.access('/dev/fuse').then(() => true, () => false)]);
  const tried = [
    mount ? { backend: 'kernel' as const, ok: true } : { backend: 'kernel' as const, ok: false, why: 'this process may not mount (not root, no CAP_SYS_ADMIN)' },
    fuse && devFuse ? { backend: 'fuse' as const, ok: true } : { backend: 'fuse' as const, ok: false, why: fuse ? '/dev/fuse is missing' : 'fuse-overlayfs is not installed (apt-get install fuse-overlayfs)' },
    ['XFS', 'btrfs'].includes(fs.name) ? { backend: 'reflink' as const, ok: true } : { backend: 'reflink' as const, ok: false, why: `${kit.lanesRoot} is on ${fs.name}, which cannot clone files (reflink needs XFS with reflink=1 or btrfs)` },
  ].map((t) => (t.ok ? { ...t, why: `looks usable${unproven}` } : t));
  return { usable: tried.filter((t) => t.ok).map((t) => t.backend), tried };
}

/** The backend these settings pick on this host, or why none works (every backend's own reason). */
async function chooseBackend(kit: ProbeKit<Settings>): Promise<{ backend: SnapshotBackend; tried: string } | { why: string }> {
  const probe = await provenBackends(kit);
  const wanted = kit.settings.backend;
  const backend = wanted === 'auto' ? probe.usable[0] : probe.usable.find((b) => b === wanted);
  const tried = probe.tried.map((t) => `${t.backend}: ${t.why ?? (t.ok ? 'works' : 'failed')}`).join('; ');
  if (backend) return { backend, tried };
  const why = wanted === 'auto' ? `no copy-on-write backend works here (${tried})` : `snapshot.backend ${wanted} does not work here (${tried})`;
  return { why };
}

/** A lane's layer in isolane's state: its own changes (upper) and overlay's scratch dir (work). */
const layerDir = (kit: Pick<StrategyKit<Settings>, 'stateDir'>, lane: string): string => path.join(kit.stateDir, 'lanes', lane);

/**
 * snapshot: a lane is a git worktree registered without files (`worktree add --no-checkout`)
 * whose files are a copy-on-write layer over one shared, read-only checkout of its start commit
 * (a base, made once per commit, removed with its last lane), with the base's index copied in so
 * the first `git status` hashes nothing. Creating one costs the same at any tree size.
 */
function snapshotLanes(kit: StrategyKit<Settings>): Strategy {
  const { ctx } = kit;
  const sys = { env: ctx.env, ...(ctx.signal ? { signal: ctx.signal } : {}) };
  const bases: BaseIo = { ctx, repoRoot: kit.repo.root, commonDir: kit.repo.commonDir, basesDir: path.join(kit.stateDir, 'bases'), withLock: (name, fn) => kit.withLock(name, fn) };
  let chosen: Promise<SnapshotBackend> | undefined;
  const backendForNewLane = (): Promise<SnapshotBackend> =>
    (chosen ??= chooseBackend(kit).then((c) => {
      if ('why' in c) throw new IsolaneError('STRATEGY_UNAVAILABLE', `the snapshot strategy cannot run here: ${c.why}`);
      return c.backend;
    }));
  const backendFile = (lane: string): string => path.join(layerDir(kit, lane), 'backend');
  /** The backend a lane was made with: its record says, else the note in its layer dir (a lane found without a record). */
  const backendOf = async (lane: LaneRecord): Promise<SnapshotBackend | undefined> => {
    const said = lane.place?.detail?.backend ?? (await readTextSafely(backendFile(lane.lane), { maxBytes: 64 }).catch(() => undefined))?.trim();
    return SNAPSHOT_BACKENDS.find((b) => b === said);
  };
  const paths = (lane: string, target: string, base: string) => ({ lower: path.join(base, 'tree'), upper: path.join(layerDir(kit, lane), 'upper'), work: path.join(layerDir(kit, lane), 'work'), target });
  const baseDir = (oid: string): string => path.join(bases.basesDir, oid);
  /** The commits whose bases the lane uses: its start; for a lane found without its record, every base naming it. */
  const basesOf = async (lane: LaneRecord): Promise<string[]> => {
    const oid = lane.startOid || lane.place?.detail?.base;
    return oid ? [oid] : (await listBases(bases)).filter((b) => b.users.includes(lane.lane)).map((b) => b.oid);
  };

  /** Is the lane's layer gone while its directory is there (after a reboot)? */
  const unmounted = async (lane: LaneRecord): Promise<boolean> => {
    const backend = await backendOf(lane);
    if (!backend || !isMountingBackend(backend)) return false;
    return (await lstatOrUndefined(lane.path))?.isDirectory() === true && !(await isMounted(lane.path));
  };

  /**
   * Unmounts the lane's layer, waiting a little for short-lived readers (an `ls`'s git status)
   * to leave it; a process that stays (an agent's shell) keeps it mounted: BUSY, naming it.
   */
  const unmountPatiently = async (backend: SnapshotBackend, target: string): Promise<void> => {
    for (const waitMs of [50, 100, 200, 400, 800, 1_000, 1_000]) {
      try {
        return await unmountLayer(backend, target, sys);
      } catch (e) {
        if (!isSnapshotError(e, 'BUSY')) throw e;
        await ctx.sleep(waitMs, ctx.signal);
      }
    }
    return unmountLayer(backend, target, sys);
  };

  /**
   * The removal's own check, so that nothing written after `down`'s check is lost: a kernel
   * overlay is remounted read-only first (nothing can write between the check and the unmount);
   * other backends are checked as they are. Refuses (WouldLoseWorkError, the lane made writable
   * again) when the lane holds uncommitted files or submodule commits; else returns how to undo
   * the freeze should the removal fail.
   */
  const freezeUnlessWorkIsThere = async (lane: LaneRecord, backend: SnapshotBackend | undefined): Promise<(() => Promise<void>) | undefined> => {
    const admin = await worktreeAdminDir(kit.repo.commonDir, lane.path);
    if (!('dir' in admin)) return undefined; // nothing git can read: the engine's own checks stand
    const frozen = backend === 'kernel' && (await isMounted(lane.path)) && (await runTool(sys, 'mount', ['-o', 'remount,ro', lane.path])).ok;
    const unfreeze = frozen ? async () => void (await runTool(sys, 'mount', ['-o', 'remount,rw', lane.path])) : undefined;
    const reader = hostReader(ctx, { workTree: lane.path, gitDir: admin.dir });
    const [files, submoduleCommits] = await Promise.all([dirtyFiles(reader), unsavedSubmoduleCommits(reader)]).catch(async (e: unknown) => {
      await unfreeze?.();
      throw e;
    });
    if (files.length === 0 && submoduleCommits.length === 0) return unfreeze;
    await unfreeze?.();
    throw new WouldLoseWorkError('WOULD_LOSE_WORK', `lane ${lane.lane} has uncommitted files or submodule commits`, { data: { files, submoduleCommits } });
  };

  const worktree = worktreeLanes(kit, 'snapshot', async (spec: LaneSpec, adminDir: string) => {
    const backend = await backendForNewLane();
    await fsp.mkdir(path.join(layerDir(kit, spec.lane), 'upper'), { recursive: true });
    await fsp.mkdir(path.join(layerDir(kit, spec.lane), 'work'), { recursive: true });
    await fsp.writeFile(backendFile(spec.lane), `${backend}\n`);
    const base = await acquireBase(bases, spec.startOid, spec.lane);
    await copyLaneIndex(base.index, adminDir);
    if (isMountingBackend(backend)) await copyGitFileToUpper(spec.path, paths(spec.lane, spec.path, baseDir(spec.startOid)).upper);
    await mountLayer(backend, paths(spec.lane, spec.path, baseDir(spec.startOid)), sys).catch(async (e: unknown) => {
      // What was proven no longer holds (a capability dropped, fuse removed): prove it again next time.
      await fsp.rm(path.join(kit.stateDir, 'backends.json'), { force: true });
      throw e;
    });
    // A reflink copy's files are new inodes: refreshed now, the first status hashes nothing.
    if (backend === 'reflink') await runGit(ctx, spec.path, ['update-index', '-q', '--refresh'], { okExitCodes: [1] });
  });

  return {
    ...worktree,
    // Its removal checks the lane's files itself, frozen read-only first on a kernel overlay.
    removalRefusesDirty: true,

    async create(spec: LaneSpec) {
      const place = await worktree.create(spec);
      const backend = await backendForNewLane();
      return { ...place, ...(isMountingBackend(backend) ? { mounted: true } : {}), detail: { backend, base: spec.startOid } };
    },

    async state(lane: LaneRecord) {
      return (await unmounted(lane)) ? 'unmounted' : undefined;
    },

    async ready(lane: LaneRecord) {
      if (!(await unmounted(lane))) return;
      const [backend, [oid]] = await Promise.all([backendOf(lane), basesOf(lane)]);
      if (!backend || !oid) return;
      await kit.withLock(`mount-${lane.lane}`, async () => {
        if (!(await unmounted(lane))) return; // another process mounted it meanwhile
        ctx.logger.progress(`lane ${lane.lane}: mounting its files again`);
        // The base's read-only bind went with the reboot too; lanes sharing it make it under its own lock, once.
        if (await canMount()) await kit.withLock(`base-${oid}`, () => bindReadOnly(path.join(baseDir(oid), 'tree'), sys));
        await mountLayer(backend, paths(lane.lane, lane.path, baseDir(oid)), sys);
      });
    },

    async open(lane: LaneRecord, hints?: OpenHints): Promise<LaneAccess> {
      const access = await worktree.open(lane, hints);
      // Unmounted, its directory shows no files: git there would call every file deleted.
      if (!(await unmounted(lane))) return access;
      return { ...access, reader: undefined, note: 'unmounted', unchecked: ['its files are not mounted; any command that acts in the lane mounts them again'] };
    },

    async destroy(lane: LaneRecord, opts) {
      const backend = await backendOf(lane);
      const unfreeze = opts.force || opts.halfMade ? undefined : await freezeUnlessWorkIsThere(lane, backend);
      // First the layer (a process still in the lane keeps it: BUSY, nothing removed), then the
      // worktree's registration and directory, then the lane's changes and its use of the base.
      try {
        await unmountPatiently(backend ?? 'kernel', lane.path);
      } catch (e) {
        await unfreeze?.();
        throw e;
      }
      await worktree.destroy(lane, { force: true, halfMade: opts.halfMade });
      await fsp.rm(layerDir(kit, lane.lane), { recursive: true, force: true });
      for (const oid of await basesOf(lane)) await releaseBase(bases, oid, lane.lane);
    },

    async diskRoots(lane: LaneRecord) {
      // A mounted lane's own files are its layer; a reflink lane's are in its directory.
      return isMountingBackend((await backendOf(lane)) ?? 'kernel') ? [layerDir(kit, lane.lane)] : [lane.path];
    },

    // Layers and uses of a base checkout by lanes that are gone (removed outside isolane, or a
    // removal that died before it got to them): the last use going takes the base with it.
    async sweep(sweepKit: SweepKit): Promise<Leftover[]> {
      const found: Leftover[] = [];
      const act = async (item: Leftover, lane: string, fn: () => Promise<void>): Promise<void> => {
        if (!sweepKit.act) return void found.push(item);
        try {
          const ran = await sweepKit.ifStillGone(lane, fn);
          found.push({ ...item, removed: ran, ...(ran ? {} : { error: 'its lane came back' }) });
        } catch (e) {
          found.push({ ...item, removed: false, error: e instanceof Error ? e.message : String(e) });
        }
      };
      for (const base of await listBases(bases)) {
        for (const user of base.users.filter((u) => LANE_NAME.test(u) && !sweepKit.live.has(u))) {
          const last = base.users.every((u) => u === user || !sweepKit.live.has(u));
          await act({ what: `use of the base checkout of ${base.oid.slice(0, 12)}${last ? ' (the base goes with it)' : ''}`, lane: user, why: `lane ${user} no longer exists` }, user, async () => {
            await releaseBase(bases, base.oid, user);
          });
        }
      }
      const layers = await fsp.readdir(path.join(kit.stateDir, 'lanes')).catch(() => [] as string[]);
      for (const lane of layers.filter((l) => LANE_NAME.test(l) && !sweepKit.live.has(l))) {
        await act({ what: `copy-on-write layer of lane ${lane}`, lane, why: `lane ${lane} no longer exists` }, lane, () => fsp.rm(layerDir(kit, lane), { recursive: true, force: true }));
      }
      return found;
    },
  };
}

/**
 * The raw side of the bench: the same lane made by hand over a base checked out once (a detached
 * worktree): `worktree add --no-checkout`, the `.git` file into the upper dir, the mount (or the
 * reflink copy), the index copied; removal by status, unmount, `worktree remove`, `branch -d`.
 */
async function benchVariants(b: BenchPlaces): Promise<BenchVariant[] | { skipped: string }> {
  const probe = await probeSnapshotBackends({ scratchDir: b.scratch, lanesRoot: b.scratch, env: b.env });
  const backend = probe.usable[0];
  if (!backend) return { skipped: `no copy-on-write backend works here (${probe.tried.map((t) => `${t.backend}: ${t.why ?? 'failed'}`).join('; ')})` };
  const sys = { env: b.env };
  const base = path.join(b.scratch, 'raw-snapshot-base');
  const layer = (i: number): string => path.join(b.scratch, `raw-snapshot-layer-${i}`);
  let made: Promise<string> | undefined;
  /** The base, checked out once; returns its index (in its worktree admin dir). */
  const baseIndex = (): Promise<string> =>
    (made ??= (async () => {
      await b.git(['worktree', 'add', '-q', '--detach', base, 'HEAD']);
      return (await runGit(createContext({ env: b.env }), base, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])).stdout.trim();
    })());
  const adminOf = async (dir: string): Promise<string> => (await runGit(createContext({ env: b.env }), dir, ['rev-parse', '--path-format=absolute', '--git-dir'])).stdout.trim();
  const must = async (cmd: string, args: readonly string[]): Promise<void> => {
    const r = await runTool(sys, cmd, args);
    if (!r.ok) throw new Error(r.why);
  };
  return [
    {
      label: 'snapshot',
      keepsOneLane: true,
      raw: {
        name: `git worktree add --no-checkout + ${backend === 'reflink' ? 'cp --reflink' : backend === 'kernel' ? 'mount -t overlay' : 'fuse-overlayfs'} + index copy / status + umount + worktree remove + branch -d`,
        create: async (dir, i) => {
          const index = await baseIndex();
          await b.git(['worktree', 'add', '-q', '--no-checkout', '-b', `raw/s${i}`, dir, 'HEAD']);
          const [upper, work] = [path.join(layer(i), 'upper'), path.join(layer(i), 'work')];
          if (backend === 'reflink') await must('cp', ['-a', '--reflink=always', '--', `${base}/.`, dir]);
          else {
            await fsp.mkdir(upper, { recursive: true });
            await fsp.mkdir(work, { recursive: true });
            await fsp.copyFile(path.join(dir, '.git'), path.join(upper, '.git'));
            const options = `lowerdir=${base},upperdir=${upper},workdir=${work}`;
            if (backend === 'kernel') await must('mount', ['-t', 'overlay', 'overlay', '-o', options, dir]);
            else await must('fuse-overlayfs', ['-o', options, dir]);
          }
          await fsp.copyFile(index, path.join(await adminOf(dir), 'index'));
        },
        destroy: async (dir, i) => {
          await b.git(['status', '--porcelain'], dir);
          if (backend !== 'reflink') await must('umount', [dir]);
          await b.git(['worktree', 'remove', '--force', dir]);
          await fsp.rm(layer(i), { recursive: true, force: true });
          await b.git(['branch', '-q', '-d', `raw/s${i}`]);
        },
        cleanup: async () => {
          if (made) await b.git(['worktree', 'remove', '--force', base]);
          made = undefined;
        },
      },
    },
  ];
}

/**
 * snapshot: copy-on-write lanes over one shared read-only checkout per commit. Trusted work only
 * (its tools run on the host, as in a worktree lane); its edge is a large tree with many agents.
 */
export const snapshot = defineStrategy({
  name: 'snapshot',
  summary: 'a copy-on-write layer per lane over one shared read-only checkout of its commit',
  // Its schema is loaded only to validate isolane.yaml: a command without one never loads zod.
  settings: () => import('./snapshot-settings.js').then((m) => m.settings),
  gives: ['resource-limits'],
  withholds: (need, _s, host) => cgroupsWithhold(need, host),
  untrustedCode: false,
  costRank: 1,
  rules: [{ when: { trust: 'trusted', minAgents: 4, minFiles: 20_000 }, because: 'many agents on a large tree: a copy-on-write lane costs the same at any tree size' }],
  async probe(kit: ProbeKit<Settings>): Promise<ProbeResult> {
    const c = await chooseBackend(kit);
    return 'why' in c ? { available: false, reason: c.why } : { available: true, detail: `${c.backend} backend` };
  },
  variant: () => 'snapshot',
  bench: benchVariants,
  make: snapshotLanes,
});
