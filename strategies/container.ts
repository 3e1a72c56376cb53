import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { dockerClient, dockerError, probeDocker } from '../src/docker/client.js';
import { envList, execInContainer } from '../src/docker/exec.js';
import type { LaneRecord } from '../src/engine/journal.js';
import type { Project } from '../src/engine/project.js';
import { gitCommands } from '../src/git/commands.js';
import { cloneLane, laneRefMemory } from '../src/git/lane-clone.js';
import { LANE_NAME } from '../src/git/names.js';
import { parseStatus } from '../src/git/parse.js';
import { runGit } from '../src/git/run-git.js';
import type { ExecOptions, FoundLane, LaneSpec, LaneState, Strategy } from './strategy.js';

/** Where the lane's checkout appears inside its container. */
export const WORKSPACE = '/workspace';
/** The user a container runs as when isolane itself runs as root (a container never runs as root). */
const FALLBACK_ID = 65532;

export const LABEL_REPO = 'isolane.repo';
export const LABEL_LANE = 'isolane.lane';

export function parseSize(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(size);
  const units: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };
  return m ? Math.round(Number(m[1]) * (units[(m[2] ?? '').toLowerCase()] ?? 1)) : Number.NaN;
}

/**
 * container: one hardened container per lane (dockerode), over the lane's own clone. The clone
 * borrows objects from the main repository, whose object store is mounted read-only; nothing
 * else of the main `.git` is visible inside, so a lane can never plant a hook or config there.
 * Its commits come home through the same untrusting fetch as clone lanes, and its status runs
 * inside the container, never on the host.
 */
export function containerStrategy(project: Project): Strategy {
  const { ctx, repo } = project;
  const settings = project.config.container;
  const { docker } = dockerClient(ctx);
  const hostUid = process.getuid?.() ?? FALLBACK_ID;
  const hostGid = process.getgid?.() ?? FALLBACK_ID;
  const uid = hostUid === 0 ? FALLBACK_ID : hostUid;
  const gid = hostUid === 0 ? FALLBACK_ID : hostGid;
  const containerName = (lane: string): string => `isolane-${repo.id}-${lane}`;
  const objectsDir = path.join(repo.commonDir, 'objects');
  /** Per lane: the container this instance found carrying our labels. */
  const verified = new Map<string, string>();
  const laneRefs = laneRefMemory(ctx, project);

  const identity = async (): Promise<Record<string, string>> => {
    const get = async (key: string): Promise<string> => (await runGit(ctx, repo.root, ['config', '--get', key], { okExitCodes: [1] })).stdout.trim();
    const [name, email] = await Promise.all([get('user.name'), get('user.email')]);
    return name && email ? { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email } : {};
  };

  const createContainer = async (lane: { lane: string; path: string; branch: string }): Promise<Docker.Container> => {
    const ports = settings.ports.map((p) => `${p}/tcp`);
    const env = { HOME: '/tmp', ISOLANE_LANE: lane.lane, ISOLANE_BRANCH: lane.branch, ISOLANE_PATH: WORKSPACE, ...(await identity()) };
    try {
      const container = await docker.createContainer({
        name: containerName(lane.lane),
        Image: settings.image,
        Cmd: ['sleep', 'infinity'],
        User: `${uid}:${gid}`,
        WorkingDir: WORKSPACE,
        Env: envList(env),
        Labels: { [LABEL_REPO]: repo.id, [LABEL_LANE]: lane.lane },
        ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])),
        HostConfig: {
          Init: true,
          Binds: [`${lane.path}:${WORKSPACE}`, `${objectsDir}:${objectsDir}:ro`],
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges:true'],
          Memory: parseSize(settings.limits.memory),
          NanoCpus: Math.round(settings.limits.cpus * 1e9),
          PidsLimit: settings.limits.pids,
          NetworkMode: settings.network,
          PortBindings: Object.fromEntries(ports.map((p) => [p, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
        },
      });
      await container.start();
      return container;
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

  /** The lane's container, running; made again if someone removed it. */
  const running = async (lane: LaneRecord): Promise<Docker.Container> => {
    const container = docker.getContainer(containerName(lane.lane));
    const info = await container.inspect().catch((e: { statusCode?: number }) => {
      if (e.statusCode === 404) return undefined;
      throw dockerError(`could not inspect the container of lane ${lane.lane}`, e);
    });
    if (!info) {
      const made = await createContainer(lane);
      verified.set(lane.lane, made.id);
      return made;
    }
    if (info.Config.Labels?.[LABEL_REPO] !== repo.id || info.Config.Labels[LABEL_LANE] !== lane.lane) {
      throw dockerError(`container ${containerName(lane.lane)} exists but was not made by isolane for this lane`, new Error('labels differ'), 'remove or rename that container');
    }
    verified.set(lane.lane, info.Id);
    if (!info.State.Running) await container.start();
    return container;
  };

  const labelled = async (lane?: string): Promise<Docker.ContainerInfo[]> =>
    docker.listContainers({ all: true, filters: { label: [`${LABEL_REPO}=${repo.id}`, ...(lane ? [`${LABEL_LANE}=${lane}`] : [])] } });

  return {
    name: 'container',

    probe() {
      return probeDocker(ctx);
    },

    async create(spec: LaneSpec) {
      await cloneLane(ctx, repo, spec, 'reference');
      if (hostUid !== uid) {
        await execa('chown', ['-R', `${uid}:${gid}`, '--', spec.path], { timeout: 600_000 });
        // The index cached each file's owner: refreshed now (the lane is still ours alone), the
        // first status inside the container need not hash every file again.
        await runGit(ctx, spec.path, ['-c', `safe.directory=${spec.path}`, 'update-index', '-q', '--refresh'], { okExitCodes: [1] });
        await fsp.chown(path.join(spec.path, '.git', 'index'), uid, gid);
      }
      await createContainer(spec);
    },

    async inspect(lane: LaneRecord): Promise<LaneState> {
      const exists = await fsp.stat(lane.path).then((s) => s.isDirectory(), () => false);
      // The lane's config is untrusted: its status runs inside its container, not on the host,
      // while the host fetches its commits home (that reads only its objects and refs).
      const status = async (): Promise<string[]> => {
        if (!exists) return [];
        const r = await execInContainer(await running(lane), ['git', ...gitCommands.status()], { env: {}, stdio: 'pipe', workdir: WORKSPACE });
        if (r.exitCode !== 0) throw dockerError(`git status failed in the container of lane ${lane.lane}`, new Error(r.stderr.trim() || `exit ${r.exitCode}`));
        return parseStatus(r.stdout);
      };
      const [dirty, commits] = await Promise.all([status(), laneRefs.collect(lane)]);
      return { exists, ...commits, dirty };
    },

    async exec(lane: LaneRecord, argv: readonly string[], opts: ExecOptions) {
      return execInContainer(await running(lane), argv, {
        env: { ...opts.laneEnv, ISOLANE_PATH: WORKSPACE },
        stdio: opts.stdio,
        workdir: WORKSPACE,
        ...(opts.interactive ? { interactive: true } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    },

    async destroy(lane: LaneRecord) {
      // Only what carries both labels, never anything else whatever its name: the container this
      // instance already checked, else (none checked, or it is gone) those a label lookup finds.
      const remove = (id: string): Promise<boolean> =>
        docker.getContainer(id).remove({ force: true, v: true }).then(() => true, (e: { statusCode?: number }) => {
          if (e.statusCode === 404) return false;
          throw dockerError(`could not remove container ${id.slice(0, 12)} of lane ${lane.lane}`, e);
        });
      const checked = verified.get(lane.lane);
      if (!checked || !(await remove(checked))) {
        for (const info of await labelled(lane.lane)) await remove(info.Id);
      }
      verified.delete(lane.lane);
      await fsp.rm(lane.path, { recursive: true, force: true });
      await project.withRepoLock(() => laneRefs.drop(lane.lane));
    },

    async list(): Promise<FoundLane[]> {
      return (await labelled())
        .map((info) => info.Labels[LABEL_LANE])
        .filter((lane): lane is string => lane !== undefined && LANE_NAME.test(lane))
        .map((lane) => ({ lane, path: project.lanePath(lane), branch: `${project.config.branchPrefix}${lane}`, missing: false }));
    },
  };
}
