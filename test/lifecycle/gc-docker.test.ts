/**
 * gc across every layer with real parts: a lane container removed with the Docker CLI, lane
 * databases on a real PostgreSQL server (a throwaway cluster), port leases, a snapshot lane's
 * layer and shared base checkout whose lane went behind isolane's back.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../helpers/docker.js';
import { repoIdOf } from '../helpers/leaks.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';
import { readRecord } from '../helpers/crash.js';
import { kernelMissing, sys } from '../helpers/snapshot.js';

const execFileP = promisify(execFile);
const engine = await dockerAvailable('gc-docker.test.ts');
const noKernel = await kernelMissing('gc-docker.test.ts');
let server: TestPostgres;
let repo: TestRepo;

beforeAll(async () => {
  server = await startPostgres();
  const c = await server.client('postgres');
  await c.query('CREATE DATABASE app');
  await c.end();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cli(['gc', '--yes']).catch(() => undefined);
  for (const lane of ['healthy', 'boxed', 'gone', 'lost', 'layered']) await repo.cli(['down', lane, '--force']).catch(() => undefined);
  await repo.cleanup();
});

const laneDatabases = async (): Promise<string[]> => (await server.databases()).filter((d) => d.startsWith('repo_'));

async function up(lane: string, extra: readonly string[] = []): Promise<string> {
  const r = await repo.cli(['up', lane, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return path.join(repo.lanesRoot, lane);
}

describe.skipIf(!engine)('gc with a Docker engine and a database server', () => {
  it('after a container removed with the Docker CLI, a directory deleted and a record lost, leaves exactly the healthy lane: no container, lease, database or directory of the others', async () => {
    const docker = new Docker();
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), `ports:\n  names: [web]\ndatabase:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    await up('healthy');
    const boxed = await up('boxed', ['--strategy', 'container']);
    const gone = await up('gone');
    const lost = await up('lost');
    const lostDb = ((await readRecord(repo, 'lost')) as { resources?: { database?: { name: string } } }).resources?.database?.name;
    expect(await laneDatabases()).toHaveLength(4);

    const id = await repoIdOf(repo);
    await execFileP('docker', ['rm', '-f', `isolane-${id}-boxed`]);
    await fsp.rm(gone, { recursive: true, force: true });
    // Lost: its record and checkout go behind isolane's back; its database and lease stay.
    await fsp.rm(path.join(repo.root, '.git', 'isolane', 'lanes', 'lost.json'));
    await repo.git(['worktree', 'remove', '--force', lost]);
    await repo.git(['branch', '-D', 'isolane/lost']);

    const plan = JSON.parse((await repo.cli(['gc', '--json'])).stdout) as { lanes: Array<{ lane: string; remove: boolean; reasons: string[] }>; leftovers: Array<{ what: string }> };
    expect(plan.lanes.filter((l) => l.remove).map((l) => l.lane).sort()).toEqual(['boxed', 'gone']);
    expect(plan.lanes.find((l) => l.lane === 'boxed')?.reasons.join()).toMatch(/container is gone/);
    expect(plan.leftovers.map((l) => l.what).join('\n')).toContain(`database ${lostDb ?? '?'}`);

    const r = await repo.cli(['gc', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string }>;
    expect(ls.map((l) => l.lane)).toEqual(['healthy']);
    expect(await exists(boxed)).toBe(false);
    expect(await exists(gone)).toBe(false);
    const containers = await docker.listContainers({ all: true, filters: { label: [`isolane.repo=${id}`] } });
    expect(containers).toEqual([]);
    const dbs = await laneDatabases();
    expect(dbs).toHaveLength(1);
    expect(dbs[0]).toMatch(/^repo_healthy_/);
    const { leases } = JSON.parse((await repo.cli(['ports', '--json'])).stdout) as { leases: Array<{ lane: string }> };
    expect(leases.map((l) => l.lane)).toEqual(['healthy']);
  });
});

describe.skipIf(noKernel !== undefined)('gc of a snapshot lane gone behind isolane\'s back', () => {
  it('removes its layer and its use of the shared base checkout, and the base with its last use', async () => {
    const layered = await up('layered', ['--strategy', 'snapshot']);
    const state = path.join(repo.root, '.git', 'isolane', 'strategies', 'snapshot');
    expect(await fsp.readdir(path.join(state, 'bases'))).toHaveLength(1);
    await sys('umount', [layered]);
    await fsp.rm(path.join(repo.root, '.git', 'isolane', 'lanes', 'layered.json'));
    await fsp.rm(layered, { recursive: true, force: true });
    await repo.git(['worktree', 'prune']);
    await repo.git(['branch', '-D', 'isolane/layered']);
    const r = await repo.cli(['gc', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { leftovers: Array<{ what: string; removed: boolean }> };
    expect(out.leftovers.map((l) => l.what).join('\n')).toMatch(/base checkout .*the base goes with it/);
    expect(out.leftovers.every((l) => l.removed)).toBe(true);
    const bases = (await fsp.readdir(path.join(state, 'bases')).catch(() => [] as string[])).filter((b) => !b.startsWith('.'));
    expect(bases).toEqual([]);
    expect(await fsp.readdir(path.join(state, 'lanes')).catch(() => [] as string[])).toEqual([]);
    // The base's read-only bind went with it.
    expect(await fsp.readFile('/proc/self/mountinfo', 'utf8')).not.toContain(path.join(state, 'bases'));
  });
});
