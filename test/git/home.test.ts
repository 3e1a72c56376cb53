/**
 * Every lane is a home: from inside a lane of any host strategy, from deep inside it, and from the
 * lanes root, every command acts on the main repository's lanes, and `up` never makes a lane
 * inside a lane.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_MARKER } from '../../src/lane/root-marker.js';
import { dockerAvailable } from '../helpers/docker.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const engine = await dockerAvailable('test/git/home.test.ts');

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

const lanesOf = async (r: TestRepo, cwd: string): Promise<string[]> => {
  const ls = await r.cli(['ls', '--json'], { cwd });
  expect(ls.code, ls.stderr).toBe(0);
  return (JSON.parse(ls.stdout) as Array<{ lane: string }>).map((l) => l.lane).sort();
};

describe.each(['clone', 'worktree', 'container'] as const)('from inside a %s lane', (strategy) => {
  it.skipIf(strategy === 'container' && !engine)('ls, up, path and down act on the main repository; a new lane goes beside the others', async () => {
    repo = await makeRepo({ files: { 'src/deep/x.txt': 'x\n' } });
    const r = repo;
    await fsp.writeFile(path.join(r.root, 'isolane.yaml'), `strategy: ${strategy}\n`);
    await r.git(['add', 'isolane.yaml']);
    await r.git(['commit', '-qm', 'isolane.yaml']);
    expect((await r.cli(['up', 'a'])).code).toBe(0);
    const inside = path.join(r.lanesRoot, 'a', 'src', 'deep');

    expect(await lanesOf(r, inside)).toEqual(['a']);
    const up = await r.cli(['up', 'nested'], { cwd: inside });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe(path.join(r.lanesRoot, 'nested'));
    expect(await exists(path.join(r.lanesRoot, 'a', 'src', 'deep', 'nested'))).toBe(false);
    expect(await exists(path.join(r.lanesRoot, 'a.lanes'))).toBe(false);
    expect(await lanesOf(r, r.root)).toEqual(['a', 'nested']);
    expect((await r.cli(['path', 'nested'], { cwd: inside })).stdout.trim()).toBe(path.join(r.lanesRoot, 'nested'));
    // a lane of the main repository, on its lane branch (a container lane's files belong to its user)
    expect((await r.git(['-c', 'safe.directory=*', 'symbolic-ref', 'HEAD'], path.join(r.lanesRoot, 'nested'))).trim()).toBe('refs/heads/isolane/nested');

    const down = await r.cli(['down', 'nested'], { cwd: inside });
    expect(down.code, down.stderr).toBe(0);
    expect(await lanesOf(r, inside)).toEqual(['a']);
    expect((await r.cli(['down', 'a'], { cwd: r.root })).code).toBe(0);
  });
});

describe('lane homes', () => {
  it('from the lanes root itself, ls lists the repository lanes', async () => {
    repo = await makeRepo();
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    expect(await lanesOf(repo, repo.lanesRoot)).toEqual(['a']);
  });

  it('a repository of its own inside a lane stays itself', async () => {
    repo = await makeRepo();
    const r = repo;
    await fsp.writeFile(path.join(r.root, 'isolane.yaml'), 'strategy: clone\n');
    expect((await r.cli(['up', 'a'])).code).toBe(0);
    const nested = path.join(r.lanesRoot, 'a', 'vendor', 'lib');
    await fsp.mkdir(nested, { recursive: true });
    await r.git(['init', '-q', '-b', 'main'], nested);
    await r.git(['commit', '-q', '--allow-empty', '-m', 'lib'], nested);
    expect(await lanesOf(r, nested)).toEqual([]);
  });

  it('a lanes root whose marker names another repository is refused, and nothing is made', async () => {
    repo = await makeRepo();
    const r = repo;
    await fsp.writeFile(path.join(r.root, 'isolane.yaml'), 'strategy: clone\n');
    expect((await r.cli(['up', 'a'])).code).toBe(0);
    const other = await makeRepo();
    try {
      const marker = path.join(r.lanesRoot, ROOT_MARKER);
      await fsp.writeFile(marker, `${JSON.stringify({ repo: 'ffffffffffff', commonDir: path.join(other.root, '.git') })}\n`);
      const inside = path.join(r.lanesRoot, 'a');
      const up = await r.cli(['up', 'b'], { cwd: inside });
      expect(up.code).not.toBe(0);
      expect(up.stderr).toContain('lanes root');
      expect(await exists(path.join(other.lanesRoot, 'b'))).toBe(false);
      expect(await exists(path.join(r.lanesRoot, 'b'))).toBe(false);
      expect((await other.git(['branch', '--list', 'isolane/*'])).trim()).toBe('');
    } finally {
      await other.cleanup();
    }
  });

  it('a lanes root that isolane.yaml no longer names is refused from inside it', async () => {
    repo = await makeRepo();
    const r = repo;
    await fsp.writeFile(path.join(r.root, 'isolane.yaml'), 'strategy: clone\n');
    expect((await r.cli(['up', 'a'])).code).toBe(0);
    await fsp.writeFile(path.join(r.root, 'isolane.yaml'), 'strategy: clone\nlanes:\n  root: ../elsewhere\n');
    const up = await r.cli(['up', 'b'], { cwd: path.join(r.lanesRoot, 'a') });
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('lanes are now in');
    expect(await exists(path.join(r.dir, 'elsewhere'))).toBe(false);
  });
});
