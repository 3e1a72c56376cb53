// @module-tag slow (hostile lanes, one real git scenario each): the full suite only, not `npm run test:fast`
/**
 * "Trust nothing a lane controls": what a clone lane writes into its own repository (config,
 * hooks, filters, includes, symlinks, FIFOs, huge files) never runs on the host, is never
 * followed out of the lane, never blocks isolane and never makes it read without bound. And a
 * lane record is input too: a forged one makes isolane act on nothing but the record.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);
let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const lanePath = (lane: string): string => path.join(repo.lanesRoot, lane);

async function up(lane: string, strategy = 'clone'): Promise<string> {
  const r = await repo.cli(['up', lane, '--strategy', strategy]);
  expect(r.code, r.stderr).toBe(0);
  return lanePath(lane);
}

/** A repository elsewhere on the host with a secret a lane must never bring into the main one. */
async function secretRepo(): Promise<{ dir: string; secretBlob: string; secretCommit: string }> {
  const dir = path.join(repo.dir, 'secret');
  await repo.git(['init', '-q', '-b', 'main', dir], repo.dir);
  const secretCommit = await commitFile(repo, dir, 'secret.txt', 'the host secret\n', 'secret');
  const secretBlob = (await repo.git(['rev-parse', 'HEAD:secret.txt'], dir)).trim();
  return { dir, secretBlob, secretCommit };
}

const inMain = async (oid: string): Promise<boolean> =>
  repo.git(['cat-file', '-e', oid]).then(
    () => true,
    () => false,
  );

describe("a clone lane's config never runs on the host", () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  it('fsmonitor, hooks, hooksPath, filters, includes, aliases: no marker appears through up, ls, fetch, down', async () => {
    const dir = await up('c');
    const marker = (n: string): string => path.join(repo.dir, `ran-${n}`);
    // A commit of the lane's own, with .gitattributes sending every file through a filter.
    await fsp.writeFile(path.join(dir, '.gitattributes'), '* filter=evil diff=evil\n');
    await commitFile(repo, dir, 'work.txt', 'work', 'lane work');
    await repo.git(['add', '.gitattributes'], dir);
    await repo.git(['commit', '-q', '-m', 'attributes'], dir);
    const hooks = path.join(dir, '.git', 'hooks');
    const evilHooks = path.join(dir, 'evil-hooks');
    await fsp.mkdir(evilHooks);
    for (const hook of ['post-index-change', 'reference-transaction', 'pre-auto-gc', 'post-checkout', 'pre-push', 'fsmonitor-watchman']) {
      for (const where of [hooks, evilHooks]) {
        await fsp.writeFile(path.join(where, hook), `#!/bin/sh\ntouch ${marker(`${hook}-${path.basename(where)}`)}\n`, { mode: 0o755 });
      }
    }
    const include = path.join(dir, 'included.cfg');
    await fsp.writeFile(include, `[core]\n\tfsmonitor = touch ${marker('included-fsmonitor')}; echo\n`);
    const config: Array<[string, string]> = [
      ['core.fsmonitor', `touch ${marker('fsmonitor')}; echo`],
      ['filter.evil.clean', `sh -c 'touch ${marker('filter-clean')}; cat'`],
      ['filter.evil.smudge', `sh -c 'touch ${marker('filter-smudge')}; cat'`],
      ['filter.evil.process', `touch ${marker('filter-process')}`],
      ['diff.evil.textconv', `touch ${marker('textconv')}`],
      ['core.sshCommand', `touch ${marker('ssh')}`],
      ['alias.status', `!touch ${marker('alias')}`],
      ['alias.log', `!touch ${marker('alias-log')}`],
      ['core.alternateRefsCommand', `touch ${marker('alternate-refs')}`],
      ['uploadpack.packObjectsHook', `touch ${marker('pack-objects-hook')}`],
      ['include.path', include],
    ];
    for (const [key, value] of config) await repo.git(['config', key, value], dir);
    await repo.git(['config', 'core.hooksPath', evilHooks], dir);
    // Racy stat data everywhere, so a status that honoured the filter would run it.
    for (const f of ['README.md', 'work.txt', 'package.json']) await fsp.utimes(path.join(dir, f), new Date(), new Date());

    for (const argv of [['ls'], ['ls', '--json'], ['fetch', 'c'], ['down', 'c'], ['down', 'c', '--keep-branch'], ['up', 'c2', '--strategy', 'clone']]) {
      await repo.cli(argv);
    }
    const ran = (await fsp.readdir(repo.dir)).filter((f) => f.startsWith('ran-'));
    expect(ran).toEqual([]);
    const r = await repo.cli(['down', 'c', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect((await fsp.readdir(repo.dir)).filter((f) => f.startsWith('ran-'))).toEqual([]);
  });
});

describe('nothing of a clone lane is followed out of it', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  const cases: Array<[string, (dir: string, secret: string) => Promise<void>]> = [
    ['.git is a symlink to another repository', async (dir, secret) => {
      await fsp.rm(path.join(dir, '.git'), { recursive: true });
      await fsp.symlink(path.join(secret, '.git'), path.join(dir, '.git'));
    }],
    ['objects/pack is a symlink to its packs', async (dir, secret) => {
      await repo.git(['gc', '-q'], secret);
      const pack = path.join(dir, '.git', 'objects', 'pack');
      await fsp.rm(pack, { recursive: true });
      await fsp.symlink(path.join(secret, '.git', 'objects', 'pack'), pack);
      await repo.git(['update-ref', 'refs/heads/stolen', (await repo.git(['rev-parse', 'HEAD'], secret)).trim()], dir).catch(() => undefined);
    }],
    ['a loose object directory is a symlink into it', async (dir, secret) => {
      const secretHead = (await repo.git(['rev-parse', 'HEAD'], secret)).trim();
      const objects = path.join(dir, '.git', 'objects');
      const fanout = secretHead.slice(0, 2);
      await fsp.rm(path.join(objects, fanout), { recursive: true, force: true });
      await fsp.symlink(path.join(secret, '.git', 'objects', fanout), path.join(objects, fanout));
      await fsp.writeFile(path.join(dir, '.git', 'refs', 'heads', 'stolen'), `${secretHead}\n`);
    }],
    ['a ref is a symlink to its ref', async (dir, secret) => {
      await fsp.symlink(path.join(secret, '.git', 'refs', 'heads', 'main'), path.join(dir, '.git', 'refs', 'heads', 'stolen'));
    }],
    ['packed-refs is a symlink to its packed-refs', async (dir, secret) => {
      await repo.git(['pack-refs', '--all'], secret);
      await fsp.rm(path.join(dir, '.git', 'packed-refs'), { force: true });
      await fsp.symlink(path.join(secret, '.git', 'packed-refs'), path.join(dir, '.git', 'packed-refs'));
    }],
    ['the alternates name its object store', async (dir, secret) => {
      await fsp.writeFile(path.join(dir, '.git', 'objects', 'info', 'alternates'), `${path.join(secret, '.git', 'objects')}\n`);
      await fsp.writeFile(path.join(dir, '.git', 'refs', 'heads', 'stolen'), `${(await repo.git(['rev-parse', 'HEAD'], secret)).trim()}\n`);
    }],
  ];
  for (const [what, plant] of cases) {
    it(`${what}: ls, fetch and down never bring its objects home; down refuses, --force removes only the lane`, async () => {
      const { dir: secret, secretBlob, secretCommit } = await secretRepo();
      const dir = await up('c');
      await plant(dir, secret);
      for (const argv of [['ls'], ['ls', '--json'], ['fetch', 'c'], ['down', 'c']]) await repo.cli(argv);
      expect(await inMain(secretBlob), 'secret blob in the main object store').toBe(false);
      expect(await inMain(secretCommit), 'secret commit in the main object store').toBe(false);
      const refused = await repo.cli(['down', 'c']);
      expect(refused.code, refused.stderr).not.toBe(0);
      expect(await exists(dir)).toBe(true);
      const forced = await repo.cli(['down', 'c', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(await exists(dir)).toBe(false);
      // The other repository is untouched.
      expect(await fsp.readFile(path.join(secret, 'secret.txt'), 'utf8')).toBe('the host secret\n');
      expect((await repo.git(['rev-parse', 'HEAD'], secret)).trim()).toBe(secretCommit);
      expect(await inMain(secretBlob)).toBe(false);
    });
  }
});

describe('a clone lane cannot block isolane or make it read without bound', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  const cases: Array<[string, (dir: string) => Promise<void>]> = [
    ['HEAD is a FIFO', (dir) => fifo(path.join(dir, '.git', 'HEAD'))],
    ['packed-refs is a FIFO', (dir) => fifo(path.join(dir, '.git', 'packed-refs'))],
    ['the index is a FIFO', (dir) => fifo(path.join(dir, '.git', 'index'))],
    ['a ref is a FIFO', (dir) => fifo(path.join(dir, '.git', 'refs', 'heads', 'pipe'))],
    ['a .gitignore in the work tree is a FIFO', async (dir) => {
      await fsp.mkdir(path.join(dir, 'sub'));
      await fifo(path.join(dir, 'sub', '.gitignore'));
    }],
    ['packed-refs is a sparse 20 GiB file', async (dir) => {
      const h = await fsp.open(path.join(dir, '.git', 'packed-refs'), 'w');
      await h.truncate(20 * 2 ** 30);
      await h.close();
    }],
    ['the index is a sparse 20 GiB file', async (dir) => {
      await fsp.rm(path.join(dir, '.git', 'index'));
      const h = await fsp.open(path.join(dir, '.git', 'index'), 'w');
      await h.truncate(20 * 2 ** 30);
      await h.close();
    }],
  ];
  for (const [what, plant] of cases) {
    it(`${what}: ls answers promptly and says so; down refuses; --force removes it`, async () => {
      const dir = await up('c');
      await plant(dir);
      const started = Date.now();
      const ls = await repo.cli(['ls', '--json']);
      const took = Date.now() - started;
      expect(ls.code, ls.stderr).toBe(0);
      const lane = (JSON.parse(ls.stdout) as Array<{ lane: string; note?: string }>).find((l) => l.lane === 'c');
      expect(lane?.note, 'ls says what it could not read').toMatch(/FIFO|not a regular file|bytes|could not|isolane does not follow|blocked/i);
      // Bounded by isolane, not by a lane: well under the time a hang would take (no timed goal).
      expect(took).toBeLessThan(30_000);
      const refused = await repo.cli(['down', 'c']);
      expect(refused.code, refused.stderr).toBe(3);
      const forced = await repo.cli(['down', 'c', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(await exists(dir)).toBe(false);
    });
  }
});

describe('worktree lanes', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  it('a FIFO .gitignore does not hang ls or down; a rewritten .git file is never followed', async () => {
    const dir = await up('w', 'worktree');
    await fsp.mkdir(path.join(dir, 'sub'));
    await fifo(path.join(dir, 'sub', '.gitignore'));
    const ls = await repo.cli(['ls', '--json']);
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ state: string; note?: string }>)[0]?.note).toMatch(/FIFO/);
    await fsp.rm(path.join(dir, 'sub'), { recursive: true });
    // The lane's .git file now names another repository: isolane reads the lane's own git dir.
    const { dir: secret } = await secretRepo();
    await fsp.writeFile(path.join(dir, '.git'), `gitdir: ${path.join(secret, '.git')}\n`);
    const refused = await repo.cli(['down', 'w']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/cannot be trusted/);
    const forced = await repo.cli(['down', 'w', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await exists(dir)).toBe(false);
    expect(await exists(path.join(secret, '.git', 'HEAD'))).toBe(true);
    expect(await repo.git(['worktree', 'list', '--porcelain'])).not.toContain(dir);
  });
});

describe('a forged lane record', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  const forge = async (lane: string, fields: Record<string, string>): Promise<void> => {
    const dir = path.join(repo.root, '.git', 'isolane', 'lanes');
    await fsp.mkdir(dir, { recursive: true });
    const head = (await repo.git(['rev-parse', 'HEAD'])).trim();
    const record = { version: 1, lane, strategy: 'clone', branch: `isolane/${lane}`, base: 'main', startOid: head, path: lanePath(lane), createdAt: new Date().toISOString(), state: 'ready', ...fields };
    await fsp.writeFile(path.join(dir, `${lane}.json`), JSON.stringify(record));
  };

  it("naming a directory outside the lanes root, or the user's main branch: down touches neither", async () => {
    const victim = path.join(repo.dir, 'victim');
    await fsp.mkdir(victim);
    await fsp.writeFile(path.join(victim, 'precious.txt'), 'keep me');
    await forge('x', { path: victim });
    await forge('y', { branch: 'main', strategy: 'worktree' });
    const mainBefore = (await repo.git(['rev-parse', 'main'])).trim();
    for (const lane of ['x', 'y']) {
      const r = await repo.cli(['down', lane]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/does not match this repository/);
      const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string }>;
      expect(ls.find((l) => l.lane === lane)?.state).toBe('error');
      const run = await repo.cli(['run', lane, '--', 'touch', 'ran']);
      expect(run.code).toBe(125);
      const forced = await repo.cli(['down', lane, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(/removed the record of lane .* only/);
    }
    expect(await fsp.readFile(path.join(victim, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(await exists(path.join(victim, 'ran'))).toBe(false);
    expect((await repo.git(['rev-parse', 'main'])).trim()).toBe(mainBefore);
    expect(await repo.git(['status', '--porcelain'])).toBe('');
  });

  it('a record that is a symlink, a FIFO or corrupt shows as corrupt, and `down --force` removes it as its hint says', async () => {
    const dir = path.join(repo.root, '.git', 'isolane', 'lanes');
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(repo.dir, 'elsewhere.json'), '{}');
    await fsp.symlink(path.join(repo.dir, 'elsewhere.json'), path.join(dir, 'sym.json'));
    await fifo(path.join(dir, 'pipe.json'));
    await fsp.writeFile(path.join(dir, 'bad.json'), '{ not json');
    const ls = await repo.cli(['ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ lane: string; state: string }>).map((l) => [l.lane, l.state])).toEqual([
      ['bad', 'corrupt'],
      ['pipe', 'corrupt'],
      ['sym', 'corrupt'],
    ]);
    for (const lane of ['bad', 'pipe', 'sym']) {
      const refused = await repo.cli(['down', lane]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`isolane down ${lane} --force`);
      const forced = await repo.cli(['down', lane, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
    }
    expect(await fsp.readdir(dir).then((n) => n.filter((f) => f.endsWith('.json')))).toEqual([]);
    expect(await fsp.readFile(path.join(repo.dir, 'elsewhere.json'), 'utf8')).toBe('{}');
  });
});

async function fifo(p: string): Promise<void> {
  await fsp.rm(p, { force: true });
  await execFileP('mkfifo', [p]);
}
