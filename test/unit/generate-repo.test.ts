import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedRepo, generateRepo, PRESETS, type RepoSpec } from '../../fixtures/generate-repo.js';

const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isolane-genrepo-test-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execa('git', args, {
    cwd,
    extendEnv: false,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: path.dirname(cwd),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
    },
    timeout: 30_000,
  });
  return stdout;
}

async function trackedFiles(repo: string): Promise<string[]> {
  return (await git(repo, ['ls-files'])).split('\n').filter(Boolean);
}

describe('generateRepo', () => {
  it('is deterministic: the same preset gives the same head oid and content', async () => {
    const a = await generateRepo(path.join(await tempDir(), 'repo'), 'tiny');
    const b = await generateRepo(path.join(await tempDir(), 'repo'), 'tiny');
    expect(a.head).toMatch(/^[0-9a-f]{40}$/);
    expect(b.head).toBe(a.head);
    expect(await git(b.path, ['rev-parse', 'HEAD^{tree}'])).toBe(await git(a.path, ['rev-parse', 'HEAD^{tree}']));
    const first = (await trackedFiles(a.path))[0] ?? '';
    expect(await fs.readFile(path.join(b.path, first), 'utf8')).toBe(await fs.readFile(path.join(a.path, first), 'utf8'));
  });

  it('different seeds give different histories', async () => {
    const a = await generateRepo(await tempDir(), { ...PRESETS.tiny, seed: 101 });
    const b = await generateRepo(await tempDir(), { ...PRESETS.tiny, seed: 102 });
    expect(b.head).not.toBe(a.head);
  });

  it('produces the requested number of files and commits in a nested tree', async () => {
    const spec: RepoSpec = { files: 60, commits: 40, dirs: 12, meanFileBytes: 600, seed: 7 };
    const repo = await generateRepo(await tempDir(), spec);
    const files = await trackedFiles(repo.path);
    expect(repo.files).toBe(spec.files);
    expect(files).toHaveLength(spec.files);
    expect(Number(await git(repo.path, ['rev-list', '--count', 'HEAD']))).toBe(spec.commits);
    expect(repo.commits).toBe(spec.commits);
    const nested = files.filter((f) => f.split('/').length >= 3);
    expect(nested.length).toBeGreaterThan(spec.files / 2);
    expect(Math.max(...files.map((f) => f.split('/').length))).toBeLessThanOrEqual(6);
    for (const f of files) expect(f).toMatch(/\.(ts|js|json|md|css)$/);
  });

  it('leaves a clean working tree on branch main by default', async () => {
    const repo = await generateRepo(await tempDir(), 'tiny');
    expect(await git(repo.path, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(await git(repo.path, ['symbolic-ref', '--short', 'HEAD'])).toBe('main');
    expect(await git(repo.path, ['rev-parse', 'HEAD'])).toBe(repo.head);
    expect(await git(repo.path, ['rev-parse', '--is-bare-repository'])).toBe('false');
    expect(await git(repo.path, ['config', 'gc.auto'])).toBe('0');
  });

  it('honours opts.branch', async () => {
    const repo = await generateRepo(await tempDir(), 'tiny', { branch: 'trunk' });
    expect(await git(repo.path, ['symbolic-ref', '--short', 'HEAD'])).toBe('trunk');
    expect(await git(repo.path, ['branch', '--format=%(refname:short)'])).toBe('trunk');
    expect(await git(repo.path, ['status', '--porcelain'])).toBe('');
  });

  it('refuses to write into a non-empty directory and leaves it untouched', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'keep.txt'), 'precious');
    await expect(generateRepo(dir, 'tiny')).rejects.toThrow(/non-empty directory/);
    expect(await fs.readdir(dir)).toEqual(['keep.txt']);
  });

  it('removes what it created when aborted', async () => {
    const dir = path.join(await tempDir(), 'aborted');
    const controller = new AbortController();
    const pending = generateRepo(dir, 'small', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('cachedRepo', () => {
  it('returns one valid repository when called concurrently', async () => {
    const cacheDir = await tempDir();
    const paths = await Promise.all([cachedRepo('tiny', { cacheDir }), cachedRepo('tiny', { cacheDir }), cachedRepo('tiny', { cacheDir })]);
    expect(new Set(paths).size).toBe(1);
    const repo = paths[0] ?? '';
    expect(path.dirname(repo)).toBe(cacheDir);
    expect(await fs.readdir(cacheDir)).toEqual([path.basename(repo)]); // losers cleaned up

    const fresh = await generateRepo(await tempDir(), 'tiny');
    expect(await git(repo, ['rev-parse', 'HEAD'])).toBe(fresh.head);
    expect(await git(repo, ['status', '--porcelain'])).toBe('');

    const clone = path.join(await tempDir(), 'clone');
    await git(path.dirname(clone), ['clone', '--quiet', repo, clone]);
    expect(await trackedFiles(clone)).toHaveLength(PRESETS.tiny.files);

    expect(await cachedRepo('tiny', { cacheDir })).toBe(repo);
  });
});
