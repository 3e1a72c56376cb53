import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { parseSize } from '../src/size.js';
import { dockerError } from '../src/docker/docker-error.js';
import { DEFAULT_IMAGE } from '../src/docker/default-image.js';
import type { ContainerSettings } from '../src/docker/settings.js';
import { containerReader } from '../src/docker/container-reader.js';
import { nameContainerUser } from '../src/docker/container-user.js';
import { CommandNotFoundError, envList, execInContainer } from '../src/docker/exec.js';
import { fetchFromContainer } from '../src/docker/git-bridge.js';
import { configuredEnv, resolveHostReach, type HostReach } from '../src/docker/host-reach.js';
import { WORKSPACE } from '../src/docker/mount-target.js';
import { publishedPorts, type PublishedPort } from '../src/docker/ports.js';
import { createContext } from '../src/context.js';
import { IsolaneError } from '../src/errors.js';
import type { LaneRecord } from '../src/lane/record.js';
import { isRealDirectory, statQuietly } from '../src/fs/safe-read.js';
import { dropLaneRefs, mirroredTips, mirrorRefspecs } from '../src/git/lane-home.js';
import { cloneLane } from '../src/git/lane-clone.js';
import { headsRef, LANE_NAME } from '../src/git/names.js';
import { runGit } from '../src/git/run-git.js';
import { findMarkedLanes, writeMarker } from '../src/lane/marker.js';
import { openViewAccess } from '../src/lane/view-access.js';
import { runTool } from '../src/process/run-tool.js';
import { removeTree } from '../src/process/remove-tree.js';
import { defineStrategy, type BenchPlaces, type BenchVariant, type ExecOptions, type FoundLane, type LaneAccess, type Leftover, type LaneSpec, type ListScope, type ProbeKit, type Strategy, type StrategyKit, type SweepKit } from './strategy.js';

/** Where the lane's checkout appears inside its container. */
export { WORKSPACE };
/** The user a container runs as when isolane itself runs as root (a container never runs as root). */
const FALLBACK_ID = 65532;
const HOME_TIMEOUT_MS = 30 * 60_000;

export const LABEL_REPO = 'isolane.repo';
export const LABEL_LANE = 'isolane.lane';
export const LABEL_NETWORK = 'isolane.network';
/** The network of every bridged container lane on an engine. */
export const LANES_NETWORK = 'isolane-lanes';

/** What `docker inspect` says of a lane's container, once its labels proved it ours. */
interface Found {
  readonly container: Docker.Container;
  readonly running: boolean;
  /** The image it was made from, as its config names it. */
  readonly image: string;
  readonly ports: readonly PublishedPort[];
}

/**
 * container: one hardened container per lane (dockerode), over the lane's own clone. The clone
 * borrows objects from the main repository, whose object store is mounted read-only; nothing
 * else of the main `.git` is visible inside, so a lane can never plant a hook or config there.
 * While the container runs, isolane reads the lane only from inside it (git in the container,
 * commits home over git's protocol); a stopped container's lane is read through a view.
 */
function containerLanes(kit: StrategyKit<ContainerSettings>): Strategy {
  const { ctx, repo, settings } = kit;
  // dockerode and its HTTP stack load on the first engine call, not with the registry.
  let client: Promise<Docker> | undefined;
  const engine = (): Promise<Docker> => (client ??= import('../src/docker/client.js').then((m) => m.dockerClient(ctx).docker));
  const hostUid = process.getuid?.() ?? FALLBACK_ID;
  const hostGid = process.getgid?.() ?? FALLBACK_ID;
  const uid = hostUid === 0 ? FALLBACK_ID : hostUid;
  const gid = hostUid === 0 ? FALLBACK_ID : hostGid;
  const containerName = (lane: string): string => `isolane-${repo.id}-${lane}`;
  /**
   * One network for every container lane on this engine, inter-container traffic off: no lane
   * reaches another (of this repository or any other), and lanes take one address pool, not one
   * per repository (Docker has about 30).
   */
  const networkName = LANES_NETWORK;
  const objectsDir = path.join(repo.commonDir, 'objects');
  /** Trust, proxies, variables and mounts from the host: resolved once, checked before any Docker call. */
  let reach: Promise<HostReach> | undefined;
  const hostReach = (): Promise<HostReach> =>
    (reach ??= hostReachOf(kit));

  const identity = async (): Promise<Record<string, string>> => {
    // Both in one git process; the last value of each wins, as for `git config --get`.
    const out = (await runGit(ctx, repo.root, ['config', '--get-regexp', '^user\\.(name|email)$'], { okExitCodes: [1] })).stdout;
    const entry = (line: string): readonly [string, string] => (line.includes(' ') ? [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)] : [line, '']);
    const values = new Map(out.split('\n').filter(Boolean).map(entry));
    const [name, email] = [values.get('user.name')?.trim() ?? '', values.get('user.email')?.trim() ?? ''];
    return name && email ? { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email } : {};
  };

  const ensureNetwork = async (): Promise<void> => {
    const info = await (await engine()).getNetwork(networkName).inspect().then(
      (n: { Options?: Record<string, string> }) => n,
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return undefined;
        throw dockerError(`could not inspect network ${networkName}`, e);
      },
    );
    if (info) {
      if (info.Options?.['com.docker.network.bridge.enable_icc'] !== 'false') {
        throw new IsolaneError('DOCKER_FAILED', `network ${networkName} exists but lets containers reach each other; isolane did not make it`, {
          hint: `remove it (\`docker network rm ${networkName}\`): isolane makes it again with traffic between lanes off`,
        });
      }
      return;
    }
    await (await engine())
      .createNetwork({
        Name: networkName,
        Driver: 'bridge',
        Labels: { [LABEL_NETWORK]: 'lanes' },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      })
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 409) throw dockerError(`could not create network ${networkName}`, e);
      });
  };

  const createContainer = async (lane: LaneSpec): Promise<void> => {
    const bridged = settings.network === 'bridge';
    // Leased ports at the same number on 127.0.0.1 (the URL is the same inside and out); container.ports on any free one.
    const same = new Set(bridged ? (lane.publish ?? []) : []);
    const ports = [...new Set([...settings.ports, ...same])].map((p) => `${p}/tcp`);
    const hostPort = (spec: string): string => (same.has(Number(spec.split('/')[0])) ? spec.split('/')[0] ?? '' : '');
    const lent = await hostReach();
    for (const warning of lent.warnings) ctx.logger.warn(warning);
    const env = { HOME: '/tmp', ...(await identity()), ...lent.env, ...lane.env, ISOLANE_LANE: lane.lane, ISOLANE_BRANCH: lane.branch, ISOLANE_PATH: WORKSPACE };
    const attempt = async (): Promise<void> => {
      if (bridged) await kit.withRepoLock(ensureNetwork);
      const container = await (await engine()).createContainer({
        name: containerName(lane.lane),
        Image: settings.image,
        Cmd: ['sleep', 'infinity'],
        // The lane's name in every prompt (`isolane@<lane>:/workspace$`).
        Hostname: lane.lane,
        User: `${uid}:${gid}`,
        WorkingDir: WORKSPACE,
        Env: envList(env),
        Labels: { [LABEL_REPO]: repo.id, [LABEL_LANE]: lane.lane },
        ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])),
        HostConfig: {
          Init: true,
          // Mounts, not Binds: a missing source is an error, never a directory Docker makes as root.
          Mounts: [
            { Type: 'bind', Source: lane.path, Target: WORKSPACE },
            { Type: 'bind', Source: objectsDir, Target: objectsDir, ReadOnly: true },
            ...lent.mounts.map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
          ],
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges:true'],
          Memory: parseSize(settings.limits.memory),
          NanoCpus: Math.round(settings.limits.cpus * 1e9),
          PidsLimit: settings.limits.pids,
          NetworkMode: bridged ? networkName : 'none',
          PortBindings: Object.fromEntries(ports.map((p) => [p, [{ HostIp: '127.0.0.1', HostPort: hostPort(p) }]])),
        },
      });
      await container.start();
      const named = await nameContainerUser(container, uid, gid);
      if (!named.ok) ctx.logger.warn(`the container user of lane ${lane.lane} has no name (whoami fails there): ${named.why}`);
    };
    try {
      await attempt().catch(async (e: { statusCode?: number; message?: string }) => {
        // Someone removed the network in between (docker network prune): make it again, once.
        if (bridged && e.statusCode === 404 && /network/i.test(e.message ?? '')) {
          await (await engine()).getContainer(containerName(lane.lane)).remove({ force: true }).catch(() => undefined);
          return attempt();
        }
        if (e.statusCode === 409 && (await removeNeverStarted(lane.lane))) return attempt();
        throw e;
      });
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      const hint =
        status === 404
          ? `the image ${settings.image} is not here: build the default one with \`isolane image build\`, or set container.image in isolane.yaml`
          : status === 409
            ? `a container named ${containerName(lane.lane)} already exists and isolane did not make it for this lane: remove or rename it`
            : 'see the Docker engine message above';
      throw dockerError(`could not start the container of lane ${lane.lane} from image ${settings.image}`, e, hint);
    }
  };

  /**
   * The container named for `lane` when it carries both our labels and was never started (it holds
   * nothing of anyone's): removed, and true. The engine goes on creating a container whose client
   * was killed mid-request, and may list it again after an `up` cleaning up that lane removed it,
   * so the next create finds the name taken. Anything else named so is left, and the caller says so.
   */
  const removeNeverStarted = async (lane: string): Promise<boolean> => {
    const container = (await engine()).getContainer(containerName(lane));
    const info = await container.inspect().catch(() => undefined);
    const ours = info?.Config.Labels?.[LABEL_REPO] === repo.id && info.Config.Labels[LABEL_LANE] === lane;
    if (!ours || info.State.Status !== 'created') return false;
    await container.remove({ force: true, v: true }).catch(() => undefined);
    return true;
  };

  /** The lane's container, when one with both our labels exists; never made or started here. */
  const find = async (lane: string): Promise<Found | undefined> => {
    const container = (await engine()).getContainer(containerName(lane));
    const info = await container.inspect().catch((e: { statusCode?: number }) => {
      if (e.statusCode === 404) return undefined;
      throw dockerError(`could not inspect the container of lane ${lane}`, e);
    });
    if (!info) return undefined;
    if (info.Config.Labels?.[LABEL_REPO] !== repo.id || info.Config.Labels[LABEL_LANE] !== lane) {
      throw dockerError(`container ${containerName(lane)} exists but was not made by isolane for this lane`, new Error('labels differ'), 'remove or rename that container');
    }
    return { container, running: info.State.Running && !info.State.Paused, image: info.Config.Image, ports: publishedPorts(info) };
  };

  const labelled = async (lane?: string): Promise<Docker.ContainerInfo[]> =>
    engine().then((docker) => docker.listContainers({ all: true, filters: { label: [`${LABEL_REPO}=${repo.id}`, ...(lane ? [`${LABEL_LANE}=${lane}`] : [])] } }));

  /**
   * Made before this repository's first container: from then on `list` asks the engine too, so a
   * container whose record and checkout are both gone is still found. Until then listing costs
   * no engine call (nor loading dockerode).
   */
  const usedMark = path.join(kit.stateDir, 'used');

  /** Reading a running lane from inside its container; its commits come home over git's protocol. */
  const insideAccess = (lane: LaneRecord, { container, ports }: Found, exists: boolean): LaneAccess => {
    const reader = containerReader(container, WORKSPACE, lane.path);
    let refs: ReturnType<typeof reader.refs> | undefined;
    const laneRefs = () => (refs ??= reader.refs());
    return {
      exists,
      reader,
      ports,
      unchecked: [],
      branchTip: async () => (await laneRefs()).refs.get(headsRef(lane.branch)),
      async bringHome() {
        const own = await laneRefs();
        await dropLaneRefs(ctx, repo.root, lane.lane);
        await fetchFromContainer(ctx, container, {
          mainRoot: repo.root,
          gitDir: `${WORKSPACE}/.git`,
          refspecs: mirrorRefspecs(lane.lane, { refs: 'refs', head: own.head ? 'HEAD' : undefined, stash: own.stash }),
          timeoutMs: HOME_TIMEOUT_MS,
        });
        return mirroredTips(lane.lane, own.refs, own.head, own.stash);
      },
      close: () => Promise.resolve(),
    };
  };

  return {
    name: 'container',
    workdir: WORKSPACE,
    runsOnHost: false,

    async create(spec: LaneSpec) {
      await fsp.mkdir(kit.stateDir, { recursive: true });
      await fsp.writeFile(usedMark, '');
      await cloneLane(ctx, repo, spec, 'reference');
      await writeMarker(path.join(spec.path, '.git'), { repo: repo.id, lane: spec.lane, strategy: 'container' });
      const giveFiles = async (): Promise<void> => {
        const chown = await runTool(ctx, 'chown', ['-R', `${uid}:${gid}`, '--', spec.path], { env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, timeoutMs: 600_000 });
        if (chown.exitCode !== 0) throw new IsolaneError('INTERNAL', `could not give the files of lane ${spec.lane} to the container user ${uid}:${gid}: ${chown.error?.message ?? chown.stderr.trim()}`);
        // The index cached each file's owner: refreshed now (the lane is still ours alone), the
        // first status inside the container need not hash every file again.
        await runGit(ctx, spec.path, ['-c', `safe.directory=${spec.path}`, 'update-index', '-q', '--refresh'], { okExitCodes: [1] });
        await fsp.chown(path.join(spec.path, '.git', 'index'), uid, gid);
      };
      // The container is made and started while the files change owner: its first process
      // (sleep) reads none of them, and nothing runs in it before `up` returns. Both end before
      // either's failure is thrown, so a clean-up never races a step still running.
      const [given, made] = await Promise.allSettled([hostUid !== uid ? giveFiles() : undefined, createContainer(spec)]);
      if (given.status === 'rejected') throw given.reason;
      if (made.status === 'rejected') throw made.reason;
      return { hostPath: spec.path, workdir: WORKSPACE, detail: { container: containerName(spec.lane) } };
    },

    // bash when the image has it; the prompt names the lane (its container's hostname is the lane
    // too, so the image's own prompt, such as Debian's \u@\h:\w\$, shows it as well).
    shell: (_env, lane) => ({
      argv: ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash -l; fi; exec /bin/sh -l'],
      env: { PS1: `\\u@${lane}:\\w\\$ ` },
    }),

    async open(lane: LaneRecord): Promise<LaneAccess> {
      const exists = await isRealDirectory(lane.path);
      let found: Found | undefined;
      try {
        found = await find(lane.lane);
      } catch (e) {
        // No engine to ask: the lane is read on the host (nothing can run in it that isolane could
        // reach), and its container stays unchecked: `down` then needs --force, and leaves it.
        const why = `its container could not be checked or removed: ${e instanceof Error ? e.message : String(e)}`;
        const access = await openViewAccess(ctx, repo, lane, 'Docker engine not reachable');
        return { ...access, unchecked: [...access.unchecked, why] };
      }
      if (found?.running && exists) return insideAccess(lane, found, exists);
      if (found) return openViewAccess(ctx, repo, lane, 'container stopped');
      // Removed behind isolane's back (docker rm): the lane cannot run anything until it is made again.
      return { ...(await openViewAccess(ctx, repo, lane, 'container gone')), broken: 'its container is gone (removed outside isolane)' };
    },

    async exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      const found = await find(lane.lane);
      if (!found) {
        throw new IsolaneError('DOCKER_FAILED', `the container of lane ${lane.lane} is gone (removed outside isolane?)`, {
          hint: `\`isolane down ${lane.lane}\` removes the rest of the lane (its commits are checked first), then \`isolane up ${lane.lane} --strategy container\` makes a new one`,
        });
      }
      if (!found.running) await found.container.start().catch((e: unknown) => { throw dockerError(`could not start the container of lane ${lane.lane}`, e); });
      // container.env again, as isolane.yaml says now: an edit applies without a new lane.
      return execInContainer(found.container, argv, {
        env: { ...configuredEnv(settings.env), ...opts.laneEnv, ISOLANE_PATH: WORKSPACE },
        stdio: opts.stdio,
        workdir: WORKSPACE,
        ...(opts.interactive ? { interactive: true } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onStarted ? { onStarted: opts.onStarted } : {}),
      }).catch((e: unknown) => {
        throw e instanceof CommandNotFoundError ? new CommandNotFoundError(e.command, found.image) : e;
      });
    },

    async destroy(lane: LaneRecord) {
      // Only what carries both labels, never anything else whatever its name.
      const remove = async (id: string): Promise<void> => {
        const docker = await engine();
        // A removal a killed isolane started goes on in the engine (409 "already in progress"): wait for it to end.
        for (let attempt = 0; ; attempt++) {
          const e = await docker.getContainer(id).remove({ force: true, v: true }).then(() => undefined, (err: { statusCode?: number; message?: string }) => err);
          if (!e || e.statusCode === 404) return;
          if (e.statusCode !== 409 || !/already in progress/i.test(e.message ?? '') || attempt >= 60) throw dockerError(`could not remove container ${id.slice(0, 12)} of lane ${lane.lane}`, e);
          await ctx.sleep(500);
        }
      };
      try {
        for (const info of await labelled(lane.lane)) await remove(info.Id);
      } catch (e) {
        if ((await (await import('../src/docker/client.js')).probeDocker(ctx)).available) throw e;
        ctx.logger.warn(`no Docker engine answers: the container ${containerName(lane.lane)}, if it still exists, is left; remove it with \`docker rm -f ${containerName(lane.lane)}\` once the engine is back`);
      }
      // The lanes' network stays for the next lane (making it takes ~0.2 s).
      await removeTree(ctx, lane.path);
    },

    async list(scope?: ListScope): Promise<FoundLane[]> {
      // With no engine to ask, the markers in the lanes root still prove which lanes are ours.
      // (`used-container` in isolane's state is where versions before 0.2 left the same mark.)
      const marked = (file: string): boolean => statQuietly(file) !== undefined;
      const used = marked(usedMark) || marked(path.join(kit.stateDir, '..', '..', 'used-container'));
      const byLabel = used ? (await labelled().catch(() => [] as Docker.ContainerInfo[])).map((info) => info.Labels[LABEL_LANE]) : [];
      const byMarker = await findMarkedLanes(kit.lanesRoot, repo.id, 'container', scope);
      return [...new Set([...byLabel, ...byMarker])]
        .filter((lane): lane is string => lane !== undefined && LANE_NAME.test(lane))
        .map((lane) => ({ lane, path: kit.lanePath(lane), branch: kit.laneBranch(lane), missing: false }));
    },

    // A container of a lane with no record is an orphan lane (list finds it by its labels, and
    // `down` removes it); what is left to sweep are volumes labelled for a lane that is gone.
    async sweep(sweepKit: SweepKit): Promise<Leftover[]> {
      if (!(await fsp.access(usedMark).then(() => true, () => false))) return [];
      const docker = await engine();
      const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_REPO}=${repo.id}`] } }).catch(() => ({ Volumes: [] as Docker.VolumeInspectInfo[] }));
      const found: Leftover[] = [];
      for (const v of Volumes ?? []) {
        const lane = v.Labels?.[LABEL_LANE];
        if (lane === undefined || !LANE_NAME.test(lane) || sweepKit.live.has(lane)) continue;
        const item = { what: `volume ${v.Name}`, lane, why: `labelled for lane ${lane}, which no longer exists` };
        if (!sweepKit.act) {
          found.push(item);
          continue;
        }
        let error: string | undefined;
        const ran = await sweepKit.ifStillGone(lane, () =>
          docker.getVolume(v.Name).remove().catch((e: { statusCode?: number; message?: string }) => {
            if (e.statusCode !== 404) error = e.message ?? `status ${String(e.statusCode)}`;
          }),
        );
        found.push({ ...item, removed: ran && error === undefined, ...(error ? { error } : ran ? {} : { error: 'its lane came back' }) });
      }
      return found;
    },
  };
}

/** Trust, proxies, variables and mounts from the host, as container.* says: checked before any Docker call. */
function hostReachOf(kit: Pick<StrategyKit<ContainerSettings>, 'ctx' | 'repo' | 'lanesRoot' | 'settings' | 'where'>): Promise<HostReach> {
  const { ctx, repo } = kit;
  return resolveHostReach(kit.settings, { repoRoot: repo.root, cwd: ctx.cwd, commonDir: repo.commonDir, lanesRoot: kit.lanesRoot, env: ctx.env }, (keys) => kit.where(keys));
}

/** The raw side of the bench: a reference clone, a container on a lane network made by hand, removal after a status and a fetch home from inside it. */
async function benchVariants(b: BenchPlaces): Promise<BenchVariant[] | { skipped: string }> {
  const { probeDocker, dockerClient } = await import('../src/docker/client.js');
  const { imagePresent } = await import('../src/docker/image.js');
  const ctx = createContext({ env: b.env });
  const probe = await probeDocker(ctx);
  if (!probe.available) return { skipped: probe.reason ?? 'no Docker engine' };
  const docker = dockerClient(ctx).docker;
  // A missing image is like a missing engine: nothing to measure, and the report says how to fix it.
  if (!(await imagePresent(docker, b.image))) {
    const tag = b.image === DEFAULT_IMAGE ? '' : ` --tag ${b.image}`;
    return { skipped: `no image ${b.image} in the Docker engine: \`isolane image build${tag}\` makes it (or set container.image in isolane.yaml to an image you have)` };
  }
  const agents = (await imagePresent(docker, b.agentImage))
    ? { settings: { image: b.agentImage } }
    : { missing: `throughput not measured: the agents' task needs Node.js in the container, and ${b.agentImage} is not here (\`isolane image build --node\` makes it)` };
  const rawContainer = (i: number): string => `${b.tag}-raw-${i}`;
  const network = `${b.tag}-raw`;
  let networkMade: Promise<unknown> | undefined;
  // A network like the one isolane gives its lanes: traffic between lanes off.
  const ensureNetwork = (): Promise<unknown> =>
    (networkMade ??= docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { [BENCH_LABEL]: b.tag }, Options: { 'com.docker.network.bridge.enable_icc': 'false' } }));
  const branch = (i: number): string => `raw/k${i}`;
  return [
    {
      label: 'container',
      ...(b.image === DEFAULT_IMAGE ? {} : { settings: { image: b.image } }),
      agents,
      raw: {
        name: 'git clone --reference + dockerode create/start on a lane network / status in the container + fetch home over upload-pack in the container + remove + rm -rf',
        create: async (dir, i) => {
          await b.git(['clone', '-q', '--no-local', '--reference', b.root, '--', b.source, dir], path.dirname(dir));
          await b.git(['checkout', '-q', '-b', branch(i)], dir);
          await ensureNetwork();
          const objects = path.join(b.root, '.git', 'objects');
          const c = await docker.createContainer({
            name: rawContainer(i),
            // Only so a bench that fails half-way can find what it left.
            Labels: { [BENCH_LABEL]: b.tag },
            Image: b.image,
            Cmd: ['sleep', 'infinity'],
            HostConfig: { Init: true, NetworkMode: network, Binds: [`${dir}:/workspace`, `${objects}:${objects}:ro`] },
          });
          await c.start();
        },
        destroy: async (dir, i) => {
          // An untrusted checkout is read only where its symlinks and config can do no harm: in
          // its container, for its status and for the fetch home (git's ext:: transport runs
          // upload-pack there through the docker CLI).
          const c = docker.getContainer(rawContainer(i));
          const exec = await c.exec({ Cmd: ['git', 'status', '--porcelain'], WorkingDir: '/workspace', AttachStdout: true, AttachStderr: true });
          const stream = await exec.start({ hijack: true, stdin: false });
          stream.resume();
          await new Promise((resolve) => stream.on('end', resolve));
          const remote = `ext::docker exec -i ${rawContainer(i)} git upload-pack /workspace/.git`;
          await b.git(['-c', 'protocol.ext.allow=always', 'fetch', '-q', '--no-tags', remote, `+refs/heads/${branch(i)}:refs/raw-lanes/${branch(i)}`]);
          await c.remove({ force: true, v: true });
          await fsp.rm(dir, { recursive: true, force: true });
          await b.git(['update-ref', '-d', `refs/raw-lanes/${branch(i)}`]);
        },
        containerFilters: (i) => ({ name: [`^/${rawContainer(i)}$`] }),
        cleanup: async () => {
          if (networkMade) await docker.getNetwork(network).remove();
          networkMade = undefined;
        },
      },
    },
  ];
}

/** Label of the bench's raw containers and networks: its run's tag, so a failed run's leftovers can be found. */
export const BENCH_LABEL = 'isolane.bench';

/**
 * container: one hardened Docker container per lane over its own clone. Gives process, network
 * and resource isolation; the only strategy fit for untrusted code.
 */
export const container = defineStrategy({
  name: 'container',
  summary: 'a Docker container over its own clone per lane',
  // Its schema is loaded only to validate isolane.yaml: a command without one never loads zod.
  settings: () => import('../src/docker/settings.js').then((m) => m.containerSettings),
  gives: ['process-isolation', 'network-isolation', 'resource-limits', 'own-remote'],
  untrustedCode: true,
  costRank: 2,
  rules: [
    { when: { needs: ['resource-limits'] }, because: 'needs resource limits: a container per lane (cgroups)' },
    { when: { needs: ['process-isolation'] }, because: 'needs process isolation: a container per lane' },
    { when: { needs: ['network-isolation'] }, because: 'needs network isolation: a container per lane' },
    { when: { trust: 'untrusted' }, because: 'untrusted code: only a container keeps it off the host and the main .git' },
  ],
  async probe(kit: ProbeKit<ContainerSettings>) {
    // isolane.yaml's paths first: bad input is refused before any Docker call.
    await hostReachOf(kit);
    return (await import('../src/docker/client.js')).probeDocker(kit.ctx);
  },
  variant: () => 'container',
  bench: benchVariants,
  make: containerLanes,
});
