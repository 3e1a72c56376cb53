/**
 * The repository id names containers, labels and markers: lanes made by any version of isolane
 * must be found by every later one, so it stays the first 12 hex digits of the SHA-256 of the
 * common dir, whatever computes it.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { locateRepo } from '../../src/git/repo.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo?.cleanup();
});

describe('the repository id', () => {
  it('is the start of the SHA-256 of the common dir, in the library and in what the CLI writes', async () => {
    const commonDir = path.join(repo.root, '.git');
    const expected = createHash('sha256').update(commonDir).digest('hex').slice(0, 12);
    const found = await locateRepo(createContext({ cwd: repo.root, env: repo.env }));
    expect(found.id).toBe(expected);
    // The lanes root's marker, written by `up`, carries the same id.
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    const marker = JSON.parse(await fsp.readFile(path.join(repo.lanesRoot, '.isolane-lanes.json'), 'utf8')) as { repo: string };
    expect(marker.repo).toBe(expected);
  });

  it('hashes a path of any characters as UTF-8, as node:crypto does', async () => {
    const odd = path.join(repo.dir, 'dépôt ü 漢字 ✓', 'repo');
    await fsp.mkdir(path.dirname(odd), { recursive: true });
    await fsp.rename(repo.root, odd);
    const found = await locateRepo(createContext({ cwd: odd, env: repo.env }));
    expect(found.id).toBe(createHash('sha256').update(path.join(odd, '.git')).digest('hex').slice(0, 12));
    await fsp.rename(odd, repo.root);
  });
});
