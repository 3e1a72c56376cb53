/**
 * The clone strategy: the contract, and what only a clone lane has: where it clones from, its
 * object store in each clone.mode, commits that come home only through a view that never runs or
 * follows anything of the lane.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Isolane } from '../../src/index.js';
import { contractSuite } from '../contract/suite.js';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';

await contractSuite('clone', { knownGaps: ['write-during-removal'] });

async function open(r: TestRepo, yaml = 'strategy: clone\n'): Promise<Isolane> {
  await fsp.writeFile(path.join(r.root, 'isolane.yaml'), yaml);
  return Isolane.open({ cwd: r.root, env: r.env });
}

describe('clone lanes', () => {
  let repo: TestRepo | undefined;
  afterEach(async () => {
    await repo?.cleanup();
    repo = undefined;
  });

  it('clones from origin when there is one, with its own object store, on the lane branch', async () => {
    repo = await makeRepo({ withOrigin: true });
    // a local commit that origin does not have: the lane still starts from it
    const local = await commitFile(repo, repo.root, 'local.txt', 'not pushed');
    const iso = await open(repo);
    const lane = await iso.up('a');
    expect(lane.record.strategy).toBe('clone');
    expect((await repo.git(['remote', 'get-url', 'origin'], lane.path)).trim()).toBe(path.join(repo.dir, 'upstream.git'));
    expect(await exists(path.join(lane.path, '.git/objects/info/alternates'))).toBe(false);
    expect((await repo.git(['rev-parse', 'HEAD'], lane.path)).trim()).toBe(local);
    expect((await repo.git(['symbolic-ref', 'HEAD'], lane.path)).trim()).toBe('refs/heads/isolane/a');
    expect(await exists(path.join(lane.path, 'local.txt'))).toBe(true);
    expect((await repo.git(['status', '--porcelain'], lane.path)).trim()).toBe('');
  });

  it('without origin clones the main repository through real transport (--no-local: no hard links)', async () => {
    repo = await makeRepo();
    const iso = await open(repo);
    const lane = await iso.up('a');
    const packs = (await fsp.readdir(path.join(lane.path, '.git/objects/pack'))).filter((f) => f.endsWith('.pack'));
    expect(packs.length).toBeGreaterThan(0);
    for (const p of packs) expect((await fsp.stat(path.join(lane.path, '.git/objects/pack', p))).nlink).toBe(1);
  });

  it('reference mode borrows objects through alternates; blobless mode filters blobs', async () => {
    repo = await makeRepo();
    const ref = await (await open(repo, 'strategy: clone\nclone:\n  mode: reference\n')).up('r');
    expect((await fsp.readFile(path.join(ref.path, '.git/objects/info/alternates'), 'utf8')).trim()).toBe(path.join(repo.root, '.git/objects'));
    const blobless = await (await open(repo, 'strategy: clone\nclone:\n  mode: blobless\n')).up('b');
    expect((await repo.git(['config', 'remote.origin.partialclonefilter'], blobless.path)).trim()).toBe('blob:none');
    expect(await exists(path.join(blobless.path, 'README.md'))).toBe(true);
  });

  it('reference mode borrows even when origin is a local path (no hard-linked copy of the objects)', async () => {
    repo = await makeRepo({ withOrigin: true });
    const lane = await (await open(repo, 'strategy: clone\nclone:\n  mode: reference\n')).up('r');
    // objects stored in the repository itself, loose or packed (borrowed ones are not counted)
    const own = async (cwd: string): Promise<number> => {
      const out = await repo!.git(['count-objects', '-v'], cwd);
      return Number(/^count: (\d+)/m.exec(out)?.[1] ?? 0) + Number(/^in-pack: (\d+)/m.exec(out)?.[1] ?? 0);
    };
    expect(await own(repo.root)).toBeGreaterThan(0);
    expect(await own(lane.path)).toBe(0);
    expect((await repo.git(['rev-parse', 'HEAD'], lane.path)).trim()).toBe((await repo.git(['rev-parse', 'HEAD'])).trim());
  });

  it('what a lane pushed to its own remote (origin) is not work: a branch held there goes with down', async () => {
    repo = await makeRepo({ withOrigin: true });
    const iso = await open(repo);
    const lane = await iso.up('a');
    await repo.git(['checkout', '-q', '-b', 'side'], lane.path);
    await commitFile(repo, lane.path, 'side.txt', 's', 'side work');
    await repo.git(['checkout', '-q', 'isolane/a'], lane.path);
    // Work only the lane holds (the contract) until it is pushed.
    await expect(lane.down({ keepBranch: true })).rejects.toMatchObject({ code: 'WOULD_LOSE_WORK' });
    await repo.git(['push', '-q', 'origin', 'side'], lane.path);
    await lane.down({ keepBranch: true });
    expect(await exists(lane.path)).toBe(false);
  });

  it('the lane\'s own config and hooks never run on the host when its commits are fetched', async () => {
    repo = await makeRepo();
    const iso = await open(repo);
    const lane = await iso.up('a');
    await commitFile(repo, lane.path, 'w.txt', 'w');
    const marker = path.join(repo.dir, 'pwned');
    const hook = `#!/bin/sh\ntouch ${marker}\n`;
    for (const name of ['pre-upload-pack', 'post-checkout', 'reference-transaction', 'fsmonitor-watchman']) {
      await fsp.writeFile(path.join(lane.path, '.git/hooks', name), hook, { mode: 0o755 });
    }
    await repo.git(['config', 'uploadpack.packObjectsHook', `touch ${marker}`], lane.path);
    await repo.git(['config', 'core.alternateRefsCommand', `touch ${marker}`], lane.path);
    await lane.down({ keepBranch: true });
    expect(await exists(marker)).toBe(false);
  });

  it('never follows alternates a lane planted: objects from elsewhere on the host do not come home', async () => {
    repo = await makeRepo();
    const iso = await open(repo);
    const lane = await iso.up('a');
    // another repository on the host, with a commit the main repository must never receive
    const other = path.join(repo.dir, 'other');
    await repo.git(['init', '-q', other], repo.dir);
    const foreign = await commitFile(repo, other, 'secret.txt', 'not for the main repository');
    await fsp.appendFile(path.join(lane.path, '.git/objects/info/alternates'), `${path.join(other, '.git/objects')}\n`);
    await repo.git(['update-ref', 'refs/heads/isolane/a', foreign], lane.path);
    await expect(lane.down({ keepBranch: true })).rejects.toThrow();
    await expect(repo.git(['cat-file', '-e', foreign])).rejects.toThrow();
    expect(await exists(lane.path)).toBe(true);
  });
});
