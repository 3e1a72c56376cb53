import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { cloneLane } from '../src/git/lane-clone.js';
import { findMarkedLanes, writeMarker } from '../src/lane/marker.js';
import type { LaneRecord } from '../src/lane/record.js';
import { openViewAccess } from '../src/lane/view-access.js';
import { execInDir } from '../src/process/exec-in-dir.js';
import { removeTree } from '../src/process/remove-tree.js';
import { cgroupsWithhold } from './host-limits.js';
import type { Mode } from './clone-settings.js';
import { defineStrategy, type BenchPlaces, type ExecOptions, type FoundLane, type LaneAccess, type LaneSpec, type ListScope, type RawEquivalent } from './strategy.js';

const MODES = ['full', 'reference', 'blobless'] as const;

const label = (mode: Mode): string => (mode === 'full' ? 'clone (full)' : `clone (${mode})`);

/** The raw clone of each mode: clone, branch; status, fetch home, delete (what isolane's down does). */
function rawClone(b: BenchPlaces, mode: Mode): RawEquivalent {
  const extra = { full: [], reference: ['--reference', b.root], blobless: ['--filter=blob:none', '--upload-pack', 'git -c uploadpack.allowFilter=true upload-pack'] }[mode];
  const how = { full: '--no-local', reference: '--reference', blobless: '--filter=blob:none' }[mode];
  const branch = (i: number): string => `raw/${mode[0] ?? 'c'}${i}`;
  return {
    name: `git clone ${how} + checkout -b / status + fetch home + rm -rf`,
    create: async (dir, i) => {
      await b.git(['clone', '-q', '--no-local', ...extra, '--', b.source, dir], path.dirname(dir));
      await b.git(['checkout', '-q', '-b', branch(i)], dir);
    },
    destroy: async (dir, i) => {
      await b.git(['status', '--porcelain'], dir);
      await b.git(['fetch', '-q', '--no-tags', dir, `+refs/heads/${branch(i)}:refs/raw-lanes/${branch(i)}`]);
      await fsp.rm(dir, { recursive: true, force: true });
      await b.git(['update-ref', '-d', `refs/raw-lanes/${branch(i)}`]);
    },
  };
}

/**
 * clone: a full, independent clone per lane (`clone.mode`: full, reference or blobless). isolane
 * reads it only through a view of its own (src/lane/view-reader.ts), so nothing the lane
 * configured runs on the host; its commits come home by a fetch from that view.
 */
export const clone = defineStrategy({
  name: 'clone',
  summary: 'a clone of its own per lane',
  // Its schema is loaded only to validate isolane.yaml: a command without one never loads zod.
  settings: () => import('./clone-settings.js').then((m) => m.settings),
  gives: ['own-remote', 'own-object-store', 'resource-limits'],
  untrustedCode: false,
  costRank: 3,
  rules: [
    { when: { needs: ['own-remote'] }, because: 'needs a remote of its own: a clone per lane' },
    { when: { needs: ['own-object-store'] }, because: 'needs an object store of its own: a full clone per lane' },
  ],
  withholds: (need, s, host) =>
    need === 'own-object-store' && s.mode === 'reference' ? 'clone.mode reference borrows objects from the main repository: own-object-store needs mode full or blobless' : cgroupsWithhold(need, host),
  probe: () => Promise.resolve({ available: true }),
  variant: (s) => label(s.mode),
  bench: (b) => Promise.resolve(MODES.map((mode) => ({ label: label(mode), settings: { mode }, raw: rawClone(b, mode) }))),
  make: (kit) => ({
    name: 'clone',
    runsOnHost: true,

    async create(spec: LaneSpec) {
      await cloneLane(kit.ctx, kit.repo, spec, kit.settings.mode);
      await writeMarker(path.join(spec.path, '.git'), { repo: kit.repo.id, lane: spec.lane, strategy: 'clone' });
      return { hostPath: spec.path, workdir: spec.path };
    },

    open(lane: LaneRecord): Promise<LaneAccess> {
      return openViewAccess(kit.ctx, kit.repo, lane);
    },

    exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInDir(lane.path, argv, opts);
    },

    shell: (env) => ({ argv: [env.SHELL ?? '/bin/sh'] }),

    async destroy(lane: LaneRecord) {
      // Everything of a clone lane is in its directory (rm never follows a symlink out of it).
      await removeTree(kit.ctx, lane.path);
    },

    async list(scope?: ListScope): Promise<FoundLane[]> {
      return (await findMarkedLanes(kit.lanesRoot, kit.repo.id, 'clone', scope)).map((lane) => ({ lane, path: kit.lanePath(lane), branch: kit.laneBranch(lane), missing: false }));
    },
  }),
});
