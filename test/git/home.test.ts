/**
 * Every lane is a home: from the lanes root, every command acts on the main repository's lanes,
 * and a lanes root is one repository's only. (From inside a lane of each strategy: the contract,
 * test/contract/lifecycle.ts.)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_MARKER } from '../../src/lane/root-marker.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

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
