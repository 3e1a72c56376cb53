/**
 * The life of one lane: up makes it from the start commit, run works in it, down removes it (or
 * keeps its branch), the library does the same, and every lane is a home for every command.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { Isolane, isIsolaneError, WouldLoseWorkError } from '../../src/index.js';
import { commitFile, exists } from '../helpers/repo.js';
import { contractIt, type Contract } from './fixture.js';

export function lifecycleCases(c: Contract): void {
  describe('lifecycle', () => {
    const it = contractIt(c);

    it('up makes a lane from the start commit (the base branch, or --from) on branch isolane/<lane>; ls lists it ready; --json prints its record', async ({ t }) => {
      const first = await t.oid();
      const second = await commitFile(t.repo, t.repo.root, 'second.txt', '2\n');
      await t.up('old', ['--from', first]);
      await t.expectReady('old', first);
      expect(await exists(path.join(t.lanePath('old'), 'second.txt'))).toBe(false);

      const r = await t.cli(['up', 'new', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ lane: 'new', strategy: c.strategy, branch: 'isolane/new', base: 'main', startOid: second, path: t.lanePath('new'), state: 'ready' });
      await t.expectReady('new', second, ['README.md', 'second.txt']);
      // Only this user reads records: one can hold a database URL with its password.
      expect((await fsp.stat(path.join(t.repo.root, '.git/isolane/lanes/new.json'))).mode & 0o777).toBe(0o600);
      expect((await t.lsCli()).map((l) => [l.lane, l.state, l.branch])).toEqual([
        ['new', 'ready', 'isolane/new'],
        ['old', 'ready', 'isolane/old'],
      ]);
    });

    it('up honours branchPrefix and lanes.root from isolane.yaml', async ({ t }) => {
      await fsp.writeFile(path.join(t.repo.root, 'isolane.yaml'), `strategy: ${c.strategy}\n${c.config}branchPrefix: agents/\nlanes:\n  root: ../lanes-{repo}\n`);
      const dir = path.join(t.repo.dir, 'lanes-repo', 'a');
      const r = await t.cli(['up', 'a']);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${dir}\n`, expect.any(String) as unknown]);
      expect(await exists(path.join(dir, 'README.md'))).toBe(true);
      const inside = await t.cli(['run', 'a', '--', 'git', 'symbolic-ref', 'HEAD']);
      expect(inside.stdout, inside.stderr).toBe('refs/heads/agents/a\n');
      expect((await t.lsCli()).map((l) => [l.lane, l.state, l.branch, l.path])).toEqual([['a', 'ready', 'agents/a', dir]]);
      await t.down('a');
      expect(await exists(dir)).toBe(false);
      expect(await t.refOid('refs/heads/agents/a')).toBeUndefined();
    });

    it('run works in the lane: it sees the checkout and the lane variables, and passes the exit status through; path prints the directory', async ({ t }) => {
      await t.up('a');
      const dir = t.workdir('a');
      const r = await t.cli(['run', 'a', '--', 'sh', '-c', 'pwd; echo "$ISOLANE_LANE|$ISOLANE_BRANCH|$ISOLANE_PATH"; cat README.md; echo to-stderr >&2; exit 7']);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe(`${dir}\na|isolane/a|${dir}\n# fixture\n`);
      expect(r.stderr).toBe('to-stderr\n');
      expect((await t.cli(['run', 'a', '--', 'true'])).code).toBe(0);
      expect((await t.cli(['run', 'a', '--', 'false'])).code).toBe(1);
      const p = await t.cli(['path', 'a']);
      expect([p.code, p.stdout]).toEqual([0, `${t.lanePath('a')}\n`]);
    });

    it('down of a lane without work removes its directory and its branch, and leaves nothing', async ({ t }) => {
      const oid = await t.oid();
      await t.up('a');
      const out = await t.down('a');
      expect(out).toContain(`removed lane a (${t.lanePath('a')})`);
      // A branch the main repository holds is deleted (a lane with refs of its own may never have put it there).
      if (c.refs === 'shared') expect(out).toContain(`deleted branch isolane/a (was ${oid.slice(0, 12)})`);
      expect(await t.refOid('refs/heads/isolane/a')).toBeUndefined();
      expect(await exists(t.lanePath('a'))).toBe(false);
      expect(await t.ls()).toEqual([]);
      await t.expectNoLeaks('after down');
    });

    it('down --keep-branch removes the checkout and keeps the lane\'s commit on its branch in the main repository', async ({ t }) => {
      await t.up('a');
      const oid = await t.commit('a', 'feature.txt', 'feature work');
      const r = await t.cli(['down', 'a', '--keep-branch', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { lane: string; keptBranch?: { name: string }; deletedBranch?: unknown };
      expect([report.lane, report.keptBranch?.name, report.deletedBranch]).toEqual(['a', 'isolane/a', undefined]);
      expect(await exists(t.lanePath('a'))).toBe(false);
      expect(await t.refOid('refs/heads/isolane/a')).toBe(oid);
      expect(await t.repo.git(['show', `${oid}:feature.txt`])).toBe('feature work\n');
      expect(await t.repo.git(['for-each-ref', 'refs/isolane/'])).toBe('');
      expect(await t.ls()).toEqual([]);
    });

    it('a lane whose commits its base holds (fetched, then merged) goes with a plain down, branch and all', async ({ t }) => {
      await t.up('a');
      const oid = await t.commit('a', 'feature.txt', 'feature work');
      expect((await t.ls())[0]).toMatchObject({ lane: 'a', ahead: 1, merged: false });
      const fetched = await t.cli(['fetch', 'a']);
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(await t.refOid('refs/heads/isolane/a')).toBe(oid);
      await t.repo.git(['merge', '--ff-only', '-q', 'isolane/a']);
      expect((await t.ls())[0]).toMatchObject({ lane: 'a', ahead: 0, merged: true });
      await t.down('a');
      expect(await t.refOid('refs/heads/isolane/a')).toBeUndefined();
      expect(await t.oid('main')).toBe(oid);
      await t.expectNoLeaks('after down');
    });

    it('ls counts what a lane holds: uncommitted files, commits ahead of and behind its base, merged or not', async ({ t }) => {
      await t.up('a');
      await t.commit('a', 'x.txt', 'x');
      await commitFile(t.repo, t.repo.root, 'y.txt', 'y');
      await commitFile(t.repo, t.repo.root, 'z.txt', 'z');
      await t.shOk('a', 'echo d > dirty.txt');
      expect(await t.ls()).toEqual([expect.objectContaining({ lane: 'a', state: 'ready', strategy: c.strategy, branch: 'isolane/a', ahead: 1, behind: 2, merged: false, dirty: 1 })]);
    });

    it('a name taken by a lane, a branch or a directory is refused (LANE_EXISTS), changing nothing', async ({ t }) => {
      const iso = await Isolane.open({ cwd: t.repo.root, env: t.repo.env });
      await iso.up('a');
      await expect(iso.up('a')).rejects.toMatchObject({ code: 'LANE_EXISTS' });
      await t.repo.git(['branch', 'isolane/b']);
      await expect(iso.up('b')).rejects.toMatchObject({ code: 'LANE_EXISTS' });
      expect(await exists(t.lanePath('b'))).toBe(false);
      await fsp.mkdir(t.lanePath('c'), { recursive: true });
      await fsp.writeFile(path.join(t.lanePath('c'), 'mine.txt'), 'not isolane');
      await expect(iso.up('c')).rejects.toMatchObject({ code: 'LANE_EXISTS' });
      expect(await fsp.readFile(path.join(t.lanePath('c'), 'mine.txt'), 'utf8')).toBe('not isolane');
      expect(await t.refOid('refs/heads/isolane/c')).toBeUndefined();
      expect((await t.ls()).map((l) => [l.lane, l.state])).toEqual([['a', 'ready']]);
    });

    it('an unknown lane: down and path exit 1, run exits 125, each naming it', async ({ t }) => {
      const down = await t.cli(['down', 'nope']);
      expect([down.code, down.stderr]).toEqual([1, expect.stringContaining('no lane named nope') as unknown]);
      expect((await t.cli(['path', 'nope'])).code).toBe(1);
      const run = await t.cli(['run', 'nope', '--', 'true']);
      expect(run.code).toBe(125);
      expect(run.stderr).toContain('nope');
    });

    it('the library: up, run, list and down (which throws WouldLoseWorkError listing the files at stake); a Lane is AsyncDisposable and removes a clean lane at the end of its scope', async ({ t }) => {
      const iso = await Isolane.open({ cwd: t.repo.root, env: t.repo.env });
      const lane = await iso.up('lib');
      expect([lane.name, lane.path, lane.branch, lane.record.strategy]).toEqual(['lib', t.lanePath('lib'), 'isolane/lib', c.strategy]);
      const r = await lane.run(['sh', '-c', 'echo "$ISOLANE_LANE"; git rev-parse --abbrev-ref HEAD; exit 3']);
      expect([r.exitCode, r.stdout.trim()]).toEqual([3, 'lib\nisolane/lib']);
      expect(await iso.path('lib')).toBe(lane.path);
      expect((await iso.list()).map((l) => [l.lane, l.state])).toEqual([['lib', 'ready']]);
      await lane.run(['sh', '-c', 'echo edited >> README.md; echo new > notes.txt']);
      const refusal = await lane.down().catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(WouldLoseWorkError);
      expect(isIsolaneError(refusal) && refusal.data).toMatchObject({ files: [' M README.md', '?? notes.txt'] });
      await lane.run(['git', 'checkout', '-q', '--', 'README.md']);
      await lane.run(['rm', 'notes.txt']);
      const report = await lane.down();
      expect(report).toMatchObject({ lane: 'lib', strategy: c.strategy, path: t.lanePath('lib'), keptBranch: undefined });
      expect(await t.refOid('refs/heads/isolane/lib')).toBeUndefined();

      let scoped: string;
      {
        await using inScope = await iso.up('scoped');
        scoped = inScope.path;
        expect(await exists(scoped)).toBe(true);
      }
      expect(await exists(scoped)).toBe(false);
      expect(await iso.list()).toEqual([]);
      await t.expectNoLeaks('after the scope');
    });

    it('from inside a lane, ls, up, path and down act on the main repository; a new lane goes beside the others', async ({ t }) => {
      await t.up('a');
      const inside = path.join(t.lanePath('a'), 'src');
      const lanesFrom = async (cwd: string): Promise<string[]> => {
        const ls = await t.repo.cli(['ls', '--json'], { cwd });
        expect(ls.code, ls.stderr).toBe(0);
        return (JSON.parse(ls.stdout) as Array<{ lane: string }>).map((l) => l.lane).sort();
      };
      expect(await lanesFrom(inside)).toEqual(['a']);
      // The library opened there finds the main repository too.
      expect((await (await Isolane.open({ cwd: inside, env: t.repo.env })).list()).map((l) => l.lane)).toEqual(['a']);
      const up = await t.repo.cli(['up', 'nested'], { cwd: inside });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout.trim()).toBe(t.lanePath('nested'));
      expect(await exists(path.join(inside, 'nested'))).toBe(false);
      expect(await exists(path.join(t.repo.lanesRoot, 'a.lanes'))).toBe(false);
      expect(await lanesFrom(t.repo.root)).toEqual(['a', 'nested']);
      expect((await t.repo.cli(['path', 'nested'], { cwd: inside })).stdout.trim()).toBe(t.lanePath('nested'));
      // A lane of the main repository, on its lane branch (a container lane's files belong to its user).
      expect((await t.repo.git(['-c', 'safe.directory=*', 'symbolic-ref', 'HEAD'], t.lanePath('nested'))).trim()).toBe('refs/heads/isolane/nested');
      const down = await t.repo.cli(['down', 'nested'], { cwd: inside });
      expect(down.code, down.stderr).toBe(0);
      expect(await lanesFrom(inside)).toEqual(['a']);
    });
  });

  describe('isolation', () => {
    const it = contractIt(c);

    it('a file written in one lane is absent from another lane and from the main checkout', async ({ t }) => {
      await Promise.all([t.up('a'), t.up('b')]);
      await t.shOk('a', 'echo a > only-in-a.txt && test -f only-in-a.txt');
      expect(await exists(path.join(t.lanePath('a'), 'only-in-a.txt'))).toBe(true);
      expect(await exists(path.join(t.lanePath('b'), 'only-in-a.txt'))).toBe(false);
      expect(await exists(path.join(t.repo.root, 'only-in-a.txt'))).toBe(false);
      expect(await t.shOk('b', 'test -e only-in-a.txt && echo there || echo absent')).toBe('absent');
      expect(await t.shOk('b', 'git status --porcelain')).toBe('');
      expect(await t.repo.git(['status', '--porcelain'])).toBe('');
    });
  });
}
