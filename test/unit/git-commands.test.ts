import { describe, expect, it } from 'vitest';
import { gitCommands } from '../../src/git/commands.js';
import { scrubGitEnv } from '../../src/git/env.js';
import { parseStatus, parseWorktreeList } from '../../src/git/parse.js';
import { parseGitVersion, versionAtLeast } from '../../src/git/repo.js';

describe('git argv builders', () => {
  it('puts user refs after --end-of-options', () => {
    for (const argv of [
      gitCommands.refOid('--x'),
      gitCommands.deleteRef('refs/heads/isolane/a', 'abc'),
      gitCommands.worktreeAdd('/l/a', 'isolane/a'),
      gitCommands.createRef('refs/heads/isolane/a', 'abc'),
    ]) {
      const eoo = argv.indexOf('--end-of-options');
      expect(eoo).toBeGreaterThan(0);
      expect(argv.slice(eoo + 1).every((a) => !a.startsWith('--') || a === '--upload-pack=x^{commit}' || a === '--x')).toBe(true);
    }
  });
  it('checks out a branch at an object id, and nothing that could be read as an option', () => {
    const oid = 'a'.repeat(40);
    expect(gitCommands.checkoutBranchAt('isolane/a', oid)).toEqual(['checkout', '--force', '--no-recurse-submodules', '-B', 'isolane/a', oid, '--']);
    expect(() => gitCommands.checkoutBranchAt('-x', oid)).toThrow(TypeError);
    expect(() => gitCommands.checkoutBranchAt('isolane/a', '--orphan')).toThrow(TypeError);
  });
  it('puts paths after --', () => {
    const argv = gitCommands.worktreeRemove('-rf', false);
    expect(argv.slice(argv.indexOf('--') + 1)).toEqual(['-rf']);
  });
  it('asks for a compare-and-swap delete', () => {
    expect(gitCommands.deleteRef('refs/heads/x', 'a'.repeat(40))).toEqual(['update-ref', '-d', '--end-of-options', 'refs/heads/x', 'a'.repeat(40)]);
  });
});

describe('git environment', () => {
  it('drops inherited GIT_* overrides and forces the safe ones', () => {
    const env = scrubGitEnv({ PATH: '/bin', HOME: '/h', GIT_DIR: '/evil', GIT_SSH_COMMAND: 'x', GIT_CONFIG_PARAMETERS: "'core.fsmonitor=x'", GIT_TERMINAL_PROMPT: '1' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS: 'true', LC_ALL: 'C' });
  });
});

describe('git output parsers', () => {
  it('parses worktree list -z', () => {
    const out = 'worktree /r\0HEAD aaa\0branch refs/heads/main\0\0worktree /l/a\0HEAD bbb\0branch refs/heads/isolane/a\0prunable gitdir file points to non-existent location\0\0worktree /l/d\0HEAD ccc\0detached\0locked\0\0';
    expect(parseWorktreeList(out)).toEqual([
      { path: '/r', head: 'aaa', branch: 'refs/heads/main', prunable: false, locked: false },
      { path: '/l/a', head: 'bbb', branch: 'refs/heads/isolane/a', prunable: true, locked: false },
      { path: '/l/d', head: 'ccc', branch: undefined, prunable: false, locked: true },
    ]);
  });
  it('parses status -z with renames', () => {
    expect(parseStatus(' M a.ts\0?? new file.txt\0R  b.ts\0old.ts\0')).toEqual([' M a.ts', '?? new file.txt', 'R  b.ts <- old.ts']);
    expect(parseStatus('')).toEqual([]);
  });
  it('compares git versions', () => {
    expect(parseGitVersion('git version 2.39.5\n')).toEqual([2, 39, 5]);
    expect(parseGitVersion('git version 2.31.1.windows.1')).toEqual([2, 31, 1]);
    expect(versionAtLeast([2, 39, 5], [2, 31, 0])).toBe(true);
    expect(versionAtLeast([2, 30, 9], [2, 31, 0])).toBe(false);
    expect(versionAtLeast([3, 0, 0], [2, 31, 0])).toBe(true);
  });
});

describe('remote kinds', () => {
  it('tells local paths from URLs', async () => {
    const { isLocalPath } = await import('../../src/git/lane-clone.js');
    for (const p of ['/srv/repo.git', './up.git', '../up', 'up.git']) expect(isLocalPath(p), p).toBe(true);
    for (const u of ['https://example.com/r.git', 'file:///srv/r.git', 'ssh://git@host/r', 'git@host:r.git']) expect(isLocalPath(u), u).toBe(false);
  });
});
