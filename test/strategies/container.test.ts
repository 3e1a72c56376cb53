/**
 * The container strategy: the contract (commands run in the container at /workspace; its lanes
 * keep refs of their own), and what only a container lane has: a container that must be made
 * exactly once and removed with the lane, whenever `up` is killed. The container itself
 * (hardening, mounts, network, ports) is test/docker/container.test.ts.
 */
import path from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractSuite } from '../contract/suite.js';
import { killCli, killGroup, readRecord, spawnCli, waitGroupGone, type Spawned } from '../helpers/crash.js';
import { dockerAvailable } from '../helpers/docker.js';
import { expectNoLeaks, repoIdOf } from '../helpers/leaks.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

await contractSuite('container', { needs: 'docker', workdir: '/workspace', knownGaps: ['write-during-removal'] });

const engine = await dockerAvailable('strategies/container.test.ts');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

describe.runIf(engine)('container lanes: kill -9 during up', () => {
  let repo: TestRepo;
  let id: string;
  const spawned: Spawned[] = [];
  const args = (lane: string): string[] => ['up', lane, '--strategy', 'container'];

  beforeEach(async () => {
    repo = await makeRepo();
    id = await repoIdOf(repo);
  });
  afterEach(async () => {
    for (const p of spawned.splice(0)) {
      killGroup(p.pid);
      await p.closed.catch(() => undefined);
    }
    for (const l of JSON.parse((await repo.cli(['ls', '--json'])).stdout || '[]') as Array<{ lane: string }>) await repo.cli(['down', l.lane, '--force']);
    for (const info of await labelled()) await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
    await repo.cleanup();
  });

  /** Every container (running or not) labelled for this repository, and for `lane` when given. */
  function labelled(lane?: string): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`isolane.repo=${id}`, ...(lane ? [`isolane.lane=${lane}`] : [])] } });
  }

  function start(lane: string, checkpoint?: string): Spawned {
    const p = spawnCli(repo, args(lane), checkpoint ? { ISOLANE_TEST_CHECKPOINT: checkpoint } : {});
    spawned.push(p);
    return p;
  }

  /** After a kill: the lane can be made (or is already whole), with one running container; then removed, leaving nothing. */
  async function upThenDown(lane: string, what: string): Promise<void> {
    if ((await readRecord(repo, lane))?.state === 'ready') {
      const again = await repo.cli(args(lane));
      expect(again.code, `${what}: second up of a finished lane`).not.toBe(0);
      expect(again.stderr).toContain('already exists');
    } else {
      const up = await repo.cli(args(lane));
      expect(up.code, `${what}: up after the kill\n${up.stderr}`).toBe(0);
    }
    const containers = await labelled(lane);
    expect(containers.map((c) => c.State), `${what}: one running container`).toEqual(['running']);
    const inside = await repo.cli(['run', lane, '--', 'sh', '-c', 'git status --porcelain; cat README.md']);
    expect(inside.stdout.trim(), inside.stderr).toBe('# fixture');
    const down = await repo.cli(['down', lane]);
    expect(down.code, `${what}: down\n${down.stderr}`).toBe(0);
    await expectNoLeaks(repo, docker, what);
  }

  it('at up:journaled no container exists yet; at up:created exactly one; either way up then down succeed', async () => {
    for (const [checkpoint, made] of [['up:journaled', 0], ['up:created', 1]] as const) {
      const p = start('crashy', checkpoint);
      await p.waitForStderr(new RegExp(`^checkpoint ${checkpoint}$`, 'm'));
      expect((await labelled('crashy')).length, checkpoint).toBe(made);
      await killCli(p);
      await waitGroupGone(p.pid);
      await upThenDown('crashy', checkpoint);
    }
  });

  it('the moment the clone or the container shows up: up then down succeed, and no labelled container remains', async ({ annotate }) => {
    const seen: string[] = [];
    const steps: Array<readonly [string, (lanePath: string) => Promise<boolean>]> = [
      ['lane directory made', (p) => exists(p)],
      ['file checked out', (p) => exists(path.join(p, 'README.md'))],
    ];
    for (const [i, [label, check]] of steps.entries()) {
      const lane = `step-${i}`;
      const lanePath = path.join(repo.lanesRoot, lane);
      const p = start(lane);
      // Polled between event-loop turns; the kill lands right after the step shows.
      let hit = false;
      while (!hit && !p.exited()) hit = await check(lanePath);
      const ended = await killCli(p);
      await waitGroupGone(p.pid);
      const what = `${label}: ${ended.signal === 'SIGKILL' ? 'killed' : `had exited ${ended.code}`}; record=${(await readRecord(repo, lane))?.state ?? '-'} containers=${(await labelled(lane)).length}`;
      seen.push(what);
      await upThenDown(lane, what);
    }
    {
      const lane = 'step-container';
      const p = start(lane);
      let found = false;
      while (!found && !p.exited()) found = (await labelled(lane)).length > 0;
      const ended = await killCli(p);
      await waitGroupGone(p.pid);
      const state = (await labelled(lane))[0]?.State ?? '-';
      const what = `container listed: ${ended.signal === 'SIGKILL' ? 'killed' : `had exited ${ended.code}`}; record=${(await readRecord(repo, lane))?.state ?? '-'} container=${state}`;
      seen.push(what);
      await upThenDown(lane, what);
    }
    expect(await labelled()).toEqual([]);
    await annotate(seen.join('\n'));
  });
});
