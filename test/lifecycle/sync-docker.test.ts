/**
 * `isolane sync` of container lanes: git runs inside the container, the new base comes through
 * the main repository's objects the lane borrows, and a conflict is rolled back there.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../helpers/docker.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const engine = await dockerAvailable('lifecycle/sync-docker.test.ts');

describe.runIf(engine)('isolane sync, container lanes', () => {
  let repo: TestRepo;
  beforeEach(async () => {
    repo = await makeRepo({ withOrigin: true });
    await repo.git(['branch', '--quiet', '--set-upstream-to=origin/main', 'main']);
  });
  afterEach(async () => {
    for (const lane of ['c1', 'c2']) await repo.cli(['down', lane, '--force']);
    await repo.cleanup();
  });

  const inLane = async (lane: string, script: string): Promise<string> => {
    const r = await repo.cli(['run', lane, '--', 'sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  it('rebases one container lane inside its container and rolls a conflicting one back as it was', async () => {
    for (const lane of ['c1', 'c2']) expect((await repo.cli(['up', lane, '--strategy', 'container'])).code).toBe(0);
    await inLane('c1', 'echo c1 > c1.txt && git add c1.txt && git commit -qm c1');
    await inLane('c2', 'echo "# c2" > README.md && git commit -qam c2');
    const other = path.join(repo.dir, 'other');
    await repo.git(['clone', '--quiet', path.join(repo.dir, 'upstream.git'), other], repo.dir);
    await fsp.writeFile(path.join(other, 'README.md'), '# upstream\n');
    await repo.git(['commit', '--quiet', '-am', 'upstream'], other);
    await repo.git(['push', '--quiet', 'origin', 'HEAD:main'], other);
    const upstream = (await repo.git(['rev-parse', 'HEAD'], other)).trim();
    const c2Before = await inLane('c2', 'git rev-parse HEAD; git symbolic-ref HEAD; git ls-files -s; git status --porcelain; cat README.md');

    const r = await repo.cli(['sync', '--all', '--json']);
    expect(r.code, r.stderr).toBe(6);
    const lanes = Object.fromEntries((JSON.parse(r.stdout) as { lanes: Array<{ lane: string; result: string; files?: string[] }> }).lanes.map((l) => [l.lane, l]));
    expect(lanes).toMatchObject({ c1: { result: 'rebased' }, c2: { result: 'conflict', files: ['README.md'] } });
    expect(await inLane('c1', `git merge-base --is-ancestor ${upstream} HEAD && cat README.md && git status --porcelain`)).toBe('# upstream\n');
    expect(await inLane('c2', 'git rev-parse HEAD; git symbolic-ref HEAD; git ls-files -s; git status --porcelain; cat README.md')).toBe(c2Before);
  });
});
