// @module-tag slow (hostile and shared lanes roots): the full suite only, not `npm run test:fast`
/**
 * "Delete only what isolane made": a lanes root holds this repository's lanes and nothing else,
 * an orphan is something isolane can prove it made, and a lane never chooses which branch is its
 * own. Each case is one that once deleted the user's files or branches.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFile, exists, makeRepo, type TestRepo } from '../helpers/repo.js';
import { stateSnapshot } from '../helpers/state.js';

let repo: TestRepo;
const others: TestRepo[] = [];
afterEach(async () => {
  await repo?.cleanup();
  for (const o of others.splice(0)) await o.cleanup();
});

const config = (r: TestRepo, text: string): Promise<void> => fsp.writeFile(path.join(r.root, 'isolane.yaml'), text);

describe('a lanes root that is, or holds, the repository', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  for (const root of ['..', '.', '../..', '/']) {
    it(`lanes.root: ${root} is refused by every command with the file and line, and nothing is touched`, async () => {
      // A separate clone of the user's beside the repository: once listed as an orphan and deleted.
      const copy = path.join(repo.dir, 'copy2');
      await repo.git(['clone', '-q', repo.root, copy], repo.dir);
      await config(repo, `# lanes beside the repository\nlanes:\n  root: ${root}\n`);
      const before = await stateSnapshot(repo, [copy]);
      for (const argv of [['up', 'copy2'], ['ls'], ['down', 'copy2'], ['down', 'copy2', '--force'], ['down', 'repo', '--force'], ['run', 'copy2', '--', 'true']]) {
        const r = await repo.cli(argv);
        expect(r.code, `isolane ${argv.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain('isolane.yaml:3:3 lanes.root');
        expect(r.stderr).toMatch(/contains the repository/);
      }
      expect(await stateSnapshot(repo, [copy])).toEqual(before);
    });
  }
});

describe('two checkouts sharing one lanes root', () => {
  let other: TestRepo;
  let shared: string;
  beforeEach(async () => {
    repo = await makeRepo();
    other = await makeRepo();
    others.push(other);
    shared = path.join(repo.dir, 'shared-lanes');
    await config(repo, `lanes:\n  root: ${shared}\n`);
    await config(other, `lanes:\n  root: ${shared}\n`);
  });

  it("the second is refused; neither lists nor removes the other's lanes", async () => {
    const a = await repo.cli(['up', 'a1']);
    expect(a.code, a.stderr).toBe(0);
    const b = await other.cli(['up', 'b1']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/holds the lanes of another repository/);
    expect(await exists(path.join(shared, 'b1'))).toBe(false);
    const ls = await other.cli(['ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    for (const force of [[], ['--force']]) {
      const down = await other.cli(['down', 'a1', ...force]);
      expect(down.code, down.stderr).toBe(1);
      expect(down.stderr).toMatch(/no lane named a1/);
    }
    expect(await exists(path.join(shared, 'a1', 'README.md'))).toBe(true);
    expect((await repo.cli(['down', 'a1'])).code).toBe(0);
  });

  for (const strategy of ['worktree', 'clone']) {
    it(`${strategy}: a lane made in the other checkout is never taken for an orphan of this one`, async () => {
      // Shared before either marked it (a root made by hand): each lane carries its repository's marker.
      await fsp.mkdir(shared, { mode: 0o755 });
      const a = await repo.cli(['up', 'a1', '--strategy', strategy]);
      expect(a.code, a.stderr).toBe(0);
      await fsp.rm(path.join(shared, '.isolane-lanes.json'));
      expect(JSON.parse((await other.cli(['ls', '--json'])).stdout)).toEqual([]);
      expect((await other.cli(['down', 'a1', '--force'])).code).toBe(1);
      expect(await exists(path.join(shared, 'a1', 'README.md'))).toBe(true);
    });
  }
});

describe('what sits in the lanes root without being isolane\'s', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  it('a directory of the user\'s (even a git clone named like a lane) is never an orphan and never removed', async () => {
    const mine = path.join(repo.lanesRoot, 'mine');
    await fsp.mkdir(repo.lanesRoot, { mode: 0o755 });
    await repo.git(['clone', '-q', repo.root, mine], repo.dir);
    // up refuses to make lanes beside it in an unmarked root...
    const up = await repo.cli(['up', 'a']);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/holds 1 thing\(s\) isolane did not make for this repository: mine/);
    // ...and no command lists or removes it.
    expect(JSON.parse((await repo.cli(['ls', '--json'])).stdout)).toEqual([]);
    for (const force of [[], ['--force']]) expect((await repo.cli(['down', 'mine', ...force])).code).toBe(1);
    expect(await exists(path.join(mine, 'README.md'))).toBe(true);
  });

  it('a lanes root writable by others, or owned by another user, is refused', async () => {
    await fsp.mkdir(repo.lanesRoot, { mode: 0o755 });
    await fsp.chmod(repo.lanesRoot, 0o777);
    const open = await repo.cli(['up', 'a']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/can be written by other users/);
    if (process.getuid?.() === 0) {
      await fsp.chmod(repo.lanesRoot, 0o755);
      await fsp.chown(repo.lanesRoot, 65532, 65532);
      const foreign = await repo.cli(['ls']);
      expect(foreign.code).toBe(2);
      expect(foreign.stderr).toMatch(/belongs to another user/);
    }
    expect(await fsp.readdir(repo.lanesRoot)).toEqual([]);
  });
});

describe('an orphan lane never chooses its branch', () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  it("an orphan clone lane whose HEAD names release: the main repository's release is never rewound or deleted", async () => {
    await repo.git(['branch', 'release']);
    const release = (await repo.git(['rev-parse', 'release'])).trim();
    const up = await repo.cli(['up', 'c', '--strategy', 'clone']);
    expect(up.code, up.stderr).toBe(0);
    const dir = path.join(repo.lanesRoot, 'c');
    await repo.git(['checkout', '-q', '-B', 'release', 'HEAD~0'], dir);
    const laneRelease = await commitFile(repo, dir, 'r.txt', 'r', 'lane release work');
    // The journal loses its record: the lane is an orphan, proven isolane's by its marker.
    await fsp.rm(path.join(repo.root, '.git', 'isolane', 'lanes', 'c.json'));
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string; branch: string }>;
    expect(ls).toMatchObject([{ lane: 'c', state: 'orphan', branch: 'isolane/c' }]);
    const refused = await repo.cli(['down', 'c']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('lane release work');
    const forced = await repo.cli(['down', 'c', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await repo.git(['rev-parse', 'release'])).trim()).toBe(release);
    expect(await repo.git(['for-each-ref', 'refs/isolane/discarded/'])).toContain(laneRelease);
  });

  for (const prefix of ['-', '-x/', 'a/-b', '--upload-pack=x/', '.hidden/']) {
    it(`branchPrefix ${JSON.stringify(prefix)} is refused at load (exit 2): the user's branches are untouched`, async () => {
      await config(repo, `branchPrefix: "${prefix}"\n`);
      const branches = await repo.git(['for-each-ref']);
      const r = await repo.cli(['up', 'm']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('isolane.yaml:1:1 branchPrefix');
      expect(await repo.git(['for-each-ref'])).toBe(branches);
      expect((await repo.git(['symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/main');
    });
  }
});
