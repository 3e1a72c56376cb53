/**
 * runGit spawns git through node:child_process: what execa gave it before must still hold, with
 * a real git, or a stand-in `git` first on PATH where a real one cannot misbehave on demand.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { GitError } from '../../src/errors.js';
import { runGit } from '../../src/git/run-git.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-run-git-')));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A context whose PATH finds `script` as git first. */
async function standIn(script: string): Promise<ReturnType<typeof createContext>> {
  const bin = path.join(dir, 'bin');
  await fsp.mkdir(bin, { recursive: true });
  await fsp.writeFile(path.join(bin, 'git'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return createContext({ cwd: dir, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir } });
}

describe('runGit', () => {
  it('writes input to stdin and returns stdout whole; okExitCodes are answers; other exits are GitErrors with stderr', async () => {
    const ctx = createContext({ cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
    const oid = await runGit(ctx, dir, ['hash-object', '--stdin'], { input: 'hello\n' });
    expect(oid).toEqual({ stdout: 'ce013625030ba8dba906f756967f9e9ca394464a\n', exitCode: 0 });
    await runGit(ctx, dir, ['init', '--quiet']);
    expect((await runGit(ctx, dir, ['rev-parse', '--verify', '--quiet', 'refs/heads/none'], { okExitCodes: [1] })).exitCode).toBe(1);
    const e = await runGit(ctx, dir, ['rev-parse', '--verify', 'refs/heads/none']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitError);
    expect((e as GitError).exitCode).toBe(128);
    expect((e as GitError).stderr).toMatch(/fatal: Needed a single revision/);
  });

  it('passes the scrubbed environment (and opts.env), never an inherited GIT_* variable', async () => {
    const ctx = await standIn('env');
    const out = (await runGit({ ...ctx, env: { ...ctx.env, GIT_DIR: '/elsewhere', SECRET: 'x' } }, dir, [], { env: { EXTRA: 'y' } })).stdout;
    expect(out).toMatch(/^EXTRA=y$/m);
    expect(out).toMatch(/^LC_ALL=C$/m);
    expect(out).not.toMatch(/^GIT_DIR=|^SECRET=/m);
  });

  it('gives git the held lock descriptors as fd 3 onwards', async () => {
    const file = path.join(dir, 'held.lock');
    const handle = await fsp.open(file, 'w');
    try {
      const ctx = await standIn('readlink /proc/self/fd/3');
      const out = await runGit({ ...ctx, heldLocks: new Set([handle.fd]) }, dir, []);
      expect(out.stdout.trim()).toBe(file);
    } finally {
      await handle.close();
    }
  });

  it('stops a git that outlives its timeout, with SIGKILL when it ignores SIGTERM', async () => {
    const ctx = await standIn("trap '' TERM\nexec sleep 300");
    const e = await runGit(ctx, dir, ['fetch'], { timeoutMs: 300 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitError);
    expect((e as GitError).stderr).toContain('timed out after 300 ms');
  });

  it("stops git when the caller's signal aborts, or has aborted already", async () => {
    const ctx = await standIn('exec sleep 300');
    const controller = new AbortController();
    const running = runGit({ ...ctx, signal: controller.signal }, dir, ['fetch']).catch((x: unknown) => x);
    setTimeout(() => controller.abort(), 100);
    expect(((await running) as GitError).stderr).toBe('cancelled');
    const again = await runGit({ ...ctx, signal: controller.signal }, dir, ['fetch']).catch((x: unknown) => x);
    expect((again as GitError).stderr).toBe('cancelled');
  });

  it('a git that cannot be started is a GitError saying so', async () => {
    const ctx = createContext({ cwd: dir, env: { PATH: path.join(dir, 'nowhere'), HOME: dir } });
    const e = await runGit(ctx, dir, ['version']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitError);
    expect((e as GitError).exitCode).toBeUndefined();
    expect((e as GitError).stderr).toMatch(/could not run git: spawn git ENOENT/);
  });
});
