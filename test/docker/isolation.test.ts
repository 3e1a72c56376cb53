/**
 * Lanes of every strategy side by side in one repository: a file written in one lane is absent
 * from every other lane and from the main checkout. Checked on the host filesystem, and from
 * inside the container lane (which sees its own checkout at /workspace and nothing of the others).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Isolane } from '../../src/index.js';
import { dockerAvailable } from '../helpers/docker.js';
import { exists, makeRepo, type CliResult, type TestRepo } from '../helpers/repo.js';

const engine = await dockerAvailable('isolation.test.ts');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

type Place = 'main' | 'worktree' | 'clone' | 'container';
const STRATEGIES = ['worktree', 'clone', 'container'] as const;
const PLACES: readonly Place[] = ['main', ...STRATEGIES];
/** The lane of each strategy. */
const LANE = { worktree: 'w', clone: 'c', container: 'k' } as const;
const fileOf = (place: Place): string => `only-in-${place}.txt`;

let repo: TestRepo;
let repoId: string;

/** The place's checkout on the host. */
const hostDir = (place: Place): string => (place === 'main' ? repo.root : path.join(repo.lanesRoot, LANE[place]));

async function inContainer(script: string): Promise<CliResult> {
  return repo.cli(['run', LANE.container, '--', 'sh', '-c', script]);
}

/** Which of `paths` exist, as the container lane sees them. */
async function existingInside(paths: readonly string[]): Promise<string[]> {
  const r = await repo.cli(['run', LANE.container, '--', 'sh', '-c', 'for p; do if [ -e "$p" ]; then echo "$p"; fi; done', 'sh', ...paths]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!engine)('isolation between lanes of every strategy', () => {
  beforeAll(async () => {
    repo = await makeRepo();
    repoId = (await Isolane.open({ cwd: repo.root, env: repo.env })).project.repo.id;
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'strategy: worktree\n');
    for (const strategy of STRATEGIES) {
      const r = await repo.cli(['up', LANE[strategy], '--strategy', strategy]);
      expect(r.code, `up ${LANE[strategy]} --strategy ${strategy}\n${r.stderr}`).toBe(0);
    }
    // One distinct file in each place: on the host for the main checkout and host lanes, from inside for the container.
    for (const place of ['main', 'worktree', 'clone'] as const) await fsp.writeFile(path.join(hostDir(place), fileOf(place)), `${place}\n`);
    const r = await inContainer(`echo container > ${fileOf('container')}`);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    if (!repo) return;
    for (const lane of Object.values(LANE)) await repo.cli(['down', lane, '--force']);
    // Safety sweep: containers labelled for this repository, and nothing else.
    for (const info of await docker.listContainers({ all: true, filters: { label: [`isolane.repo=${repoId}`] } })) {
      await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    await repo.cleanup();
  });

  it('each lane is of its strategy, and each file is in its own place (host; /workspace for the container)', async () => {
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; strategy: string; state: string }>;
    expect(ls.map((l) => [l.lane, l.strategy, l.state]).sort()).toEqual(STRATEGIES.map((s) => [LANE[s], s, 'ready']).sort());
    for (const place of PLACES) expect(await fsp.readFile(path.join(hostDir(place), fileOf(place)), 'utf8'), place).toBe(`${place}\n`);
    expect(await existingInside([`/workspace/${fileOf('container')}`])).toEqual([`/workspace/${fileOf('container')}`]);
    // Each checkout's git sees its own new file and no other.
    for (const place of ['main', 'worktree', 'clone'] as const) {
      const untracked = (await repo.git(['status', '--porcelain', '--untracked-files=all'], hostDir(place))).split('\n').filter((l) => l && l !== '?? isolane.yaml');
      expect(untracked, place).toEqual([`?? ${fileOf(place)}`]);
    }
    const inside = await inContainer('git status --porcelain --untracked-files=all');
    expect(inside.stdout).toBe(`?? ${fileOf('container')}\n`);
  });

  const pairs = PLACES.flatMap((writer) => PLACES.filter((reader) => reader !== writer).map((reader) => [writer, reader] as const));

  it.each(pairs)('a file written in %s is absent from %s', async (writer, reader) => {
    expect(await exists(path.join(hostDir(reader), fileOf(writer))), `host: ${hostDir(reader)}/${fileOf(writer)}`).toBe(false);
    if (reader === 'container') {
      // Neither in its checkout, nor at the writer's host path: the other checkouts are not mounted at all
      // (of the main repository only .git/objects is, so its directory exists but holds no checkout).
      const elsewhere = writer === 'main' ? [path.join(repo.root, 'README.md')] : [hostDir(writer)];
      expect(await existingInside([`/workspace/${fileOf(writer)}`, path.join(hostDir(writer), fileOf(writer)), ...elsewhere])).toEqual([]);
    }
  });
});
