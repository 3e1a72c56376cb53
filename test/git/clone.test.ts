import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Isolane, isIsolaneError } from '../../src/index.js';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

async function open(r: TestRepo, yaml = 'strategy: clone\n'): Promise<Isolane> {
  await fsp.writeFile(path.join(r.root, 'isolane.yaml'), yaml);
  return Isolane.open({ cwd: r.root, env: r.env });
}

const refOid = async (r: TestRepo, ref: string, cwd = r.root): Promise<string | undefined> =>
  (await r.git(['for-each-ref', '--format=%(objectname)', ref], cwd)).trim() || undefined;

describe('clone strategy', () => {
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

  it('a file written in one lane is absent from the others and from the main checkout', async () => {
    repo = await makeRepo();
    const iso = await open(repo);
    const a = await iso.up('a');
    const b = await iso.up('b');
    await fsp.writeFile(path.join(a.path, 'only-in-a.txt'), 'a');
    expect(await exists(path.join(b.path, 'only-in-a.txt'))).toBe(false);
    expect(await exists(path.join(repo.root, 'only-in-a.txt'))).toBe(false);
  });

  it('brings commits home before removing: down refuses unmerged work, --keep-branch keeps it reachable', async () => {
    repo = await makeRepo();
    const iso = await open(repo);
    const lane = await iso.up('a');
    const oid = await commitFile(repo, lane.path, 'feature.txt', 'f', 'clone work');
    const refused = await lane.down().catch((e: unknown) => e);
    expect(isIsolaneError(refused, 'WOULD_LOSE_WORK')).toBe(true);
    expect((refused as Error).message).toContain('clone work');
    expect((await iso.list())[0]).toMatchObject({ lane: 'a', strategy: 'clone', ahead: 1, merged: false });
    await lane.down({ keepBranch: true });
    expect(await exists(lane.path)).toBe(false);
    expect(await refOid(repo, 'refs/heads/isolane/a')).toBe(oid);
    expect((await repo.git(['cat-file', '-t', oid])).trim()).toBe('commit');
    expect(await repo.git(['for-each-ref', 'refs/isolane/'])).toBe('');
  });

  it('counts work on the lane clone\'s other branches, and ignores what it pushed to its own remote', async () => {
    repo = await makeRepo({ withOrigin: true });
    const iso = await open(repo);
    const lane = await iso.up('a');
    await repo.git(['checkout', '-q', '-b', 'side'], lane.path);
    await commitFile(repo, lane.path, 'side.txt', 's', 'side work');
    await repo.git(['checkout', '-q', 'isolane/a'], lane.path);
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

  it('force removes everything, drops the fetched refs and keeps the discarded commit where it can be recovered', async () => {
    repo = await makeRepo();
    const iso = await open(repo);
    const lane = await iso.up('a');
    const oid = await commitFile(repo, lane.path, 'x.txt', 'x', 'doomed');
    const report = await lane.down({ force: true });
    expect(report.discarded.commits).toEqual([{ oid, subject: 'doomed', tip: 'isolane/a' }]);
    expect(await refOid(repo, 'refs/heads/isolane/a')).toBeUndefined();
    expect(await repo.git(['for-each-ref', 'refs/isolane/lanes/'])).toBe('');
    expect(await refOid(repo, `${report.discarded.keptUnder!}/refs/heads/isolane/a`)).toBe(oid);
  });
});
