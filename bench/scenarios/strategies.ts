import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { Isolane } from '../../src/index.js';
import { paired, type PairedResult } from '../paired.js';
import type { BenchEnv } from '../env.js';
import { diskOf, type RawLane } from '../lane-disk.js';
import { rawGit } from '../raw-git.js';

/** One strategy as isolane runs it, and the same job done with the raw tools. */
export interface Contender {
  readonly label: string;
  readonly strategy: 'worktree' | 'clone' | 'container';
  /** clone.mode, for clone contenders. */
  readonly mode?: 'full' | 'reference' | 'blobless';
  readonly yaml: string;
  readonly raw: RawLane & {
    readonly name: string;
    /** Removes what the raw side made once for all its lanes (the container's network). */
    cleanup?(): Promise<void>;
  };
}

export interface StrategyResult {
  readonly label: string;
  readonly create: PairedResult;
  readonly destroy: PairedResult;
  /** Filesystem blocks used per lane (walked: each inode once, shared objects left out) and apparent bytes. */
  readonly disk: { readonly fsBytes: number; readonly apparentBytes: number; readonly lanes: number };
}

/** Label of the raw side's containers: the bench's own work directory, unique per run. */
export const BENCH_LABEL = 'isolane.bench';
export const benchTag = (e: BenchEnv): string => path.basename(path.dirname(e.root));

/** The strategies and their raw equivalents; container ones run `image` (isolane's and the raw side alike). */
export function contenders(e: BenchEnv, docker: Docker | undefined, image = DEFAULT_IMAGE): Contender[] {
  const rawContainer = (i: number): string => `${benchTag(e)}-raw-${i}`;
  // Where isolane's clone lanes come from: the upstream when the bench has one, as raw clones do.
  const source = e.upstream ?? e.root;
  const git = (args: string[], cwd = e.root): Promise<void> => rawGit(cwd, args, e.env);
  const rm = (dir: string): Promise<void> => fsp.rm(dir, { recursive: true, force: true });
  // The same job as isolane's down of a clone: look for uncommitted work, bring the lane's
  // commits home, then delete it.
  const safeRemoveClone = async (dir: string, branch: string): Promise<void> => {
    await git(['status', '--porcelain'], dir);
    await git(['fetch', '-q', '--no-tags', dir, `+refs/heads/${branch}:refs/raw-lanes/${branch}`]);
    await rm(dir);
    await git(['update-ref', '-d', `refs/raw-lanes/${branch}`]);
  };
  const cloneOnBranch = async (dir: string, branch: string, extra: readonly string[] = []): Promise<void> => {
    await git(['clone', '-q', '--no-local', ...extra, '--', source, dir], path.dirname(dir));
    await git(['checkout', '-q', '-b', branch], dir);
  };
  const list: Contender[] = [
    {
      label: 'worktree',
      strategy: 'worktree',
      yaml: 'strategy: worktree\n',
      raw: {
        // The safe pair: `worktree remove` refuses a dirty tree, `branch -d` an unmerged branch.
        name: 'git worktree add -b / worktree remove + branch -d',
        create: (dir, i) => git(['worktree', 'add', '-q', '-b', `raw/w${i}`, dir, 'HEAD']),
        destroy: async (dir, i) => {
          await git(['worktree', 'remove', dir]);
          await git(['branch', '-q', '-d', `raw/w${i}`]);
        },
      },
    },
    {
      label: 'clone (full)',
      strategy: 'clone',
      mode: 'full',
      yaml: 'strategy: clone\n',
      raw: {
        name: 'git clone --no-local + checkout -b / status + fetch home + rm -rf',
        create: (dir, i) => cloneOnBranch(dir, `raw/c${i}`),
        destroy: (dir, i) => safeRemoveClone(dir, `raw/c${i}`),
      },
    },
    {
      label: 'clone (reference)',
      strategy: 'clone',
      mode: 'reference',
      yaml: 'strategy: clone\nclone:\n  mode: reference\n',
      raw: {
        name: 'git clone --reference + checkout -b / status + fetch home + rm -rf',
        create: (dir, i) => cloneOnBranch(dir, `raw/r${i}`, ['--reference', e.root]),
        destroy: (dir, i) => safeRemoveClone(dir, `raw/r${i}`),
      },
    },
    {
      label: 'clone (blobless)',
      strategy: 'clone',
      mode: 'blobless',
      yaml: 'strategy: clone\nclone:\n  mode: blobless\n',
      raw: {
        name: 'git clone --filter=blob:none + checkout -b / status + fetch home + rm -rf',
        create: (dir, i) => cloneOnBranch(dir, `raw/b${i}`, ['--filter=blob:none', '--upload-pack', 'git -c uploadpack.allowFilter=true upload-pack']),
        destroy: (dir, i) => safeRemoveClone(dir, `raw/b${i}`),
      },
    },
  ];
  if (docker) {
    // A network like the one isolane gives its lanes: traffic between lanes off.
    const network = `${benchTag(e)}-raw`;
    let networkMade: Promise<unknown> | undefined;
    const ensureNetwork = (): Promise<unknown> =>
      (networkMade ??= docker.createNetwork({
        Name: network,
        Driver: 'bridge',
        Labels: { [BENCH_LABEL]: benchTag(e) },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      }));
    list.push({
      label: 'container',
      strategy: 'container',
      yaml: `strategy: container\n${image === DEFAULT_IMAGE ? '' : `container:\n  image: ${JSON.stringify(image)}\n`}`,
      raw: {
        name: 'git clone --reference + dockerode create/start on a lane network / status in the container + fetch home over upload-pack in the container + remove + rm -rf',
        create: async (dir, i) => {
          await cloneOnBranch(dir, `raw/k${i}`, ['--reference', e.root]);
          await ensureNetwork();
          const objects = path.join(e.root, '.git', 'objects');
          const c = await docker.createContainer({
            name: rawContainer(i),
            // Only so a bench that fails half-way can find what it left (see bench/cli.ts).
            Labels: { [BENCH_LABEL]: benchTag(e) },
            Image: image,
            Cmd: ['sleep', 'infinity'],
            HostConfig: { Init: true, NetworkMode: network, Binds: [`${dir}:/workspace`, `${objects}:${objects}:ro`] },
          });
          await c.start();
        },
        destroy: async (dir, i) => {
          // An untrusted checkout is read only where its symlinks and config can do no harm: in
          // its container, for its status and for the fetch home (git's ext:: transport runs
          // upload-pack there through the docker CLI).
          const container = docker.getContainer(rawContainer(i));
          const exec = await container.exec({ Cmd: ['git', 'status', '--porcelain'], WorkingDir: '/workspace', AttachStdout: true, AttachStderr: true });
          const stream = await exec.start({ hijack: true, stdin: false });
          stream.resume();
          await new Promise((resolve) => stream.on('end', resolve));
          const remote = `ext::docker exec -i ${rawContainer(i)} git upload-pack /workspace/.git`;
          await git(['-c', 'protocol.ext.allow=always', 'fetch', '-q', '--no-tags', remote, `+refs/heads/raw/k${i}:refs/raw-lanes/raw/k${i}`]);
          await container.remove({ force: true, v: true });
          await rm(dir);
          await git(['update-ref', '-d', `refs/raw-lanes/raw/k${i}`]);
        },
        containerFilters: (i) => ({ name: [`^/${rawContainer(i)}$`] }),
        cleanup: async () => {
          if (networkMade) await docker.getNetwork(network).remove();
          networkMade = undefined;
        },
      },
    });
  }
  return list;
}

/** Create and destroy latency of one contender's lanes beside its raw equivalent, interleaved round by round. */
export async function lifecycle(e: BenchEnv, c: Contender, iso: Isolane): Promise<{ create: PairedResult; destroy: PairedResult }> {
  const lane = (kind: string, i: number): string => `${kind}-${c.strategy}-${i}`;
  const rawDir = (kind: string, i: number): string => path.join(e.rawRoot, `raw-${kind}-${c.strategy}-${i}`);
  const create = await paired(
    { name: 'isolane up', fn: async (i) => void (await iso.up(lane('c', i))), after: async (i) => void (await iso.down(lane('c', i), { force: true })) },
    { name: c.raw.name, fn: (i) => c.raw.create(rawDir('c', i), i), after: (i) => c.raw.destroy(rawDir('c', i), i) },
    { rounds: e.rounds, onRound: (i) => e.onRound?.(`${c.label} create`, i) },
  );
  // Both sides remove safely: a lane with uncommitted work would be refused by either.
  const destroy = await paired(
    { name: 'isolane down', before: async (i) => void (await iso.up(lane('d', i))), fn: async (i) => void (await iso.down(lane('d', i))) },
    { name: c.raw.name, before: (i) => c.raw.create(rawDir('d', i), i + 10_000), fn: (i) => c.raw.destroy(rawDir('d', i), i + 10_000) },
    { rounds: e.rounds, onRound: (i) => e.onRound?.(`${c.label} destroy`, i) },
  );
  return { create, destroy };
}

/** The table of `npm run bench`: create/destroy against the raw tools and disk, per strategy. */
export async function strategyTable(e: BenchEnv, docker: Docker | undefined): Promise<StrategyResult[]> {
  const results: StrategyResult[] = [];
  const yamlFile = path.join(e.root, 'isolane.yaml');
  for (const c of contenders(e, docker)) {
    await fsp.writeFile(yamlFile, c.yaml);
    const iso = await Isolane.open({ cwd: e.root, env: e.env });
    const { create, destroy } = await lifecycle(e, c, iso);
    await c.raw.cleanup?.();
    // Disk: several lanes at once, so one-off effects (a new pack, a journal) are spread out.
    const lanes = ['disk-0', 'disk-1', 'disk-2'];
    const disk = await diskOf(e, iso, lanes, docker);
    for (const lane of lanes) await iso.down(lane, { force: true });
    results.push({ label: c.label, create, destroy, disk: { fsBytes: disk.fsBytesPerLane, apparentBytes: disk.apparentBytesPerLane, lanes: disk.lanes } });
  }
  await fsp.rm(yamlFile, { force: true });
  return results;
}
