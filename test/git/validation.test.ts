// @module-tag slow (45 hostile inputs, each through the CLI): the full suite only, not `npm run test:fast`
/**
 * Untrusted input never reaches git as an option and a refused command leaves nothing behind:
 * lane names and --from values are checked before any branch, worktree, record or directory is
 * made. Real git, the built CLI; assertions on disk and in git only.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { gitCommands } from '../../src/git/commands.js';
import { runGit } from '../../src/git/run-git.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';
import { expectNoLane, expectReadyLane, headOid, laneBranches, repoSnapshot } from '../helpers/crash.js';

const USAGE = 2;
/**
 * `isolane run` documents 125 for its own failures (src/cli/commands/run.ts, like `docker run`),
 * but a bad lane name is a usage error and exits 2 everywhere else; the brief wants 2 here too.
 */
const RUN_USAGE = 2;

const BAD_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['an option', '--upload-pack=x'],
  ['a parent path', '../x'],
  ['upper case', 'A'],
  ['a space', 'a b'],
  ['41 characters', 'a'.repeat(41)],
  ['empty', ''],
  ['a short option', '-x'],
  ['a slash', 'x/y'],
  ['a double dot', 'x..y'],
];

/** argv of each lane command for `lane`. */
const COMMANDS: ReadonlyArray<readonly [string, (lane: string) => string[]]> = [
  ['up', (lane) => ['up', lane]],
  ['down', (lane) => ['down', lane]],
  ['path', (lane) => ['path', lane]],
  ['run', (lane) => ['run', lane, '--', 'true']],
];

/** Options of the builders' git commands that take the next argument as their value. */
const OPTIONS_WITH_VALUE = new Set(['-b', '-B']);

/** A path in the system temp dir that nothing has created. */
function uniqueTmp(tag: string): string {
  return path.join(os.tmpdir(), `isolane-${tag}-${randomUUID()}`);
}

let repo: TestRepo;
const stray: string[] = [];

beforeEach(async () => {
  repo = await makeRepo();
});

afterEach(async () => {
  await repo.cleanup();
  await Promise.all(stray.splice(0).map((f) => fsp.rm(f, { recursive: true, force: true })));
});

/** Nothing isolane could make exists: no state dir, lanes root, lane branch, record or extra worktree. */
async function expectPristine(before: Record<string, unknown>): Promise<void> {
  expect(await repoSnapshot(repo)).toEqual(before);
  expect(await exists(path.join(repo.root, '.git', 'isolane')), '.git/isolane').toBe(false);
  expect(await exists(repo.lanesRoot), 'lanes root').toBe(false);
  expect([...(await laneBranches(repo)).keys()]).toEqual([]);
  expect(await repo.git(['worktree', 'list', '--porcelain'])).toBe(`worktree ${repo.root}\nHEAD ${await headOid(repo)}\nbranch refs/heads/main\n\n`);
}

describe('invalid lane names are refused with exit 2 before anything is made', () => {
  for (const [cmd, argv] of COMMANDS) {
    for (const [what, name] of BAD_NAMES) {
      it(`${cmd} refuses ${what} (${JSON.stringify(name)})`, async () => {
        const before = await repoSnapshot(repo);
        const r = await repo.cli(argv(name));
        expect(r.code, `isolane ${argv(name).join(' ')}\n${r.stderr}`).toBe(cmd === 'run' ? RUN_USAGE : USAGE);
        expect(r.stdout).toBe('');
        await expectPristine(before);
      });
    }
  }

  it('down/path/run of a name that resolves near an existing lane leave that lane untouched', async () => {
    const oid = await headOid(repo);
    expect((await repo.cli(['up', 'x'])).code).toBe(0);
    const before = await repoSnapshot(repo);
    const names = ['../x', './x', 'x/', 'X', 'x/.', '../repo.lanes/x', `${repo.lanesRoot}/x`, 'x\n', ' x'];
    const results = await Promise.all(
      names.flatMap((n) => [repo.cli(['down', '--force', n]), repo.cli(['path', n]), repo.cli(['run', n, '--', 'touch', 'pwned'])]),
    );
    for (const r of results) expect(r.code, r.stderr).not.toBe(0);
    expect(await repoSnapshot(repo)).toEqual(before);
    await expectReadyLane(repo, 'x', oid);
  });

  it('accepts a 40-character name, and down removes it completely', async () => {
    const name = `a${'0123456789'.repeat(3)}-bcdefghi`;
    expect(name).toHaveLength(40);
    const up = await repo.cli(['up', name]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe(path.join(repo.lanesRoot, name));
    await expectReadyLane(repo, name, await headOid(repo));
    const down = await repo.cli(['down', name]);
    expect(down.code, down.stderr).toBe(0);
    await expectNoLane(repo, name);
  });
});

describe('--from is checked before git sees it', () => {
  it('--from --upload-pack=<command> runs nothing and makes nothing', async () => {
    const marker = uniqueTmp('upload-pack');
    stray.push(marker);
    const before = await repoSnapshot(repo);
    for (const argv of [
      ['up', 'ok', '--from', `--upload-pack=touch ${marker}`],
      ['up', 'ok', `--from=--upload-pack=touch ${marker}`],
      ['up', 'ok', '--from', `--upload-pack=touch ${marker}`, '--json'],
    ]) {
      const r = await repo.cli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(USAGE);
      expect(await exists(marker), `${marker} after ${argv.join(' ')}`).toBe(false);
    }
    await expectPristine(before);
  });

  it('--from HEAD:README.md (a blob path) is refused with exit 2 and makes nothing', async () => {
    const before = await repoSnapshot(repo);
    const r = await repo.cli(['up', 'ok', '--from', 'HEAD:README.md']);
    expect(r.code, r.stderr).toBe(USAGE);
    await expectPristine(before);
  });

  it('--from of something that is not a commit is refused with exit 2 and makes no lane', async () => {
    const tree = (await repo.git(['rev-parse', 'HEAD^{tree}'])).trim();
    const blob = (await repo.git(['rev-parse', 'HEAD:README.md'])).trim();
    await repo.git(['tag', 'blob-tag', blob]);
    const before = await repoSnapshot(repo);
    for (const from of ['nope', tree, blob, 'blob-tag', 'HEAD~5', 'refs/heads/nope']) {
      const r = await repo.cli(['up', 'ok', '--from', from]);
      expect(r.code, `--from ${from}: ${r.stderr}`).toBe(USAGE);
      expect(r.stderr).toMatch(/does not name a commit|not a valid revision/);
    }
    // The lane lock file may remain in .git/isolane (see report); no lane part does.
    expect(await repoSnapshot(repo)).toEqual(before);
    await expectNoLane(repo, 'ok');
    expect(await exists(repo.lanesRoot), 'lanes root').toBe(false);
  });

  it('--from --output=<file> makes no file and no lane', async () => {
    const target = uniqueTmp('output');
    stray.push(target);
    const before = await repoSnapshot(repo);
    for (const argv of [
      ['up', 'ok', '--from', `--output=${target}`],
      ['up', 'ok', `--from=--output=${target}`],
      ['up', 'ok', '--from', `-o${target}`],
    ]) {
      const r = await repo.cli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(await exists(target), `${target} after ${argv.join(' ')}`).toBe(false);
    }
    await expectPristine(before);
  });
});

describe('git argv builders: a ref given by a user is never read as an option by git', () => {
  /** Runs argv with real git (no shell); the exit status does not matter here, only side effects. */
  const rawGit = (argv: readonly string[]): Promise<unknown> => repo.git(argv).catch((e: unknown) => e);

  it('the probe works: git honours --output when it is parsed as an option', async () => {
    const control = uniqueTmp('control');
    stray.push(control);
    await repo.git(['log', '-1', `--output=${control}`]);
    expect(await exists(control)).toBe(true);
  });

  /**
   * Every argv the builders make when each of their parameters in turn (as a string, or as a
   * one-element list for list parameters) is `hostile` and the others are harmless. Found by
   * enumeration, so builders added or renamed later are covered too.
   */
  function hostileArgvs(hostile: string, harmless: string): string[][] {
    const builders = Object.entries(gitCommands) as Array<[string, (...args: unknown[]) => unknown]>;
    const seen = new Set<string>();
    const out: string[][] = [];
    for (const [, build] of builders) {
      for (let i = 0; i < build.length; i++) {
        for (const value of [hostile, [hostile], [harmless, hostile]]) {
          const args = Array.from({ length: build.length }, (_, j) => (j === i ? value : Array.isArray(value) ? [harmless] : harmless));
          let argv: unknown;
          try {
            argv = build(...args);
          } catch {
            continue;
          }
          if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string') || !argv.some((a: string) => a.includes(hostile))) continue;
          const key = JSON.stringify(argv);
          if (!seen.has(key)) {
            seen.add(key);
            out.push(argv);
          }
        }
      }
    }
    return out;
  }

  it('every builder puts a user value that could read as an option after --end-of-options or --', () => {
    const hostile = '--output=/tmp/x';
    const argvs = hostileArgvs(hostile, 'a'.repeat(40));
    expect(argvs.length).toBeGreaterThan(3);
    for (const argv of argvs) {
      const fence = argv.findIndex((a) => a === '--end-of-options' || a === '--');
      argv.forEach((a, i) => {
        // The argument of an option that takes a separate value is never parsed as an option.
        const optionValue = i > 0 && OPTIONS_WITH_VALUE.has(argv[i - 1]!);
        if (a.startsWith(hostile) && !optionValue) expect(fence >= 0 && i > fence, `git ${argv.join(' ')}`).toBe(true);
      });
    }
  });

  it('git, run with the argv of every builder, never takes --output=<file> as an option', async () => {
    const target = uniqueTmp('builder');
    stray.push(target);
    const hostile = `--output=${target}`;
    const oid = await headOid(repo);
    const ctx = createContext({ cwd: repo.root, env: repo.env });
    for (const argv of hostileArgvs(hostile, oid)) {
      await rawGit(argv);
      expect(await exists(target), `git ${argv.join(' ')} (direct)`).toBe(false);
      // The same argv through the product's own runner.
      await runGit(ctx, repo.root, argv, { okExitCodes: [1, 128] }).catch((e: unknown) => e);
      expect(await exists(target), `git ${argv.join(' ')} (runGit)`).toBe(false);
    }
    // (Other side effects, such as a branch named after the harmless value, are the sweep's own doing.)
  });
});
