// @module-tag slow (every CLI command end to end): the full suite only, not `npm run test:fast`
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
});

describe('isolane CLI', () => {
  it('prints the version and help', async () => {
    const pkg = JSON.parse(await fsp.readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await repo.cli(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = await repo.cli(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['init', 'schema', 'up', 'ls', 'path', 'run', 'down']) expect(help.stdout).toContain(cmd);
  });

  it('up prints the path, --json the record; path and ls agree', async () => {
    const up = await repo.cli(['up', 'a']);
    expect(up.code).toBe(0);
    expect(up.stdout.trim()).toBe(path.join(repo.lanesRoot, 'a'));
    const upJson = await repo.cli(['up', 'b', '--json']);
    expect(JSON.parse(upJson.stdout)).toMatchObject({ lane: 'b', branch: 'isolane/b', state: 'ready', path: path.join(repo.lanesRoot, 'b') });
    expect((await repo.cli(['path', 'b'])).stdout.trim()).toBe(path.join(repo.lanesRoot, 'b'));
    const ls = JSON.parse((await repo.cli(['ls', '--json'])).stdout) as Array<{ lane: string; state: string }>;
    expect(ls.map((l) => [l.lane, l.state])).toEqual([
      ['a', 'ready'],
      ['b', 'ready'],
    ]);
    const human = await repo.cli(['ls']);
    expect(human.stdout).toMatch(/^LANE\s+STATE\s+STRATEGY\s+BRANCH\s+DIRTY\s+AHEAD\/BEHIND\s+MERGED\s+CREATED\s+PATH$/m);
    expect(human.stdout).toMatch(/^a\s+ready\s+worktree\s+isolane\/a\s+0\s+0\/0\s+yes/m);
  });

  it('exit codes: 2 usage, 1 failure, 3 refused to lose work; JSON errors on stderr', async () => {
    expect((await repo.cli(['up', 'Bad'])).code).toBe(2);
    expect((await repo.cli(['up'])).code).toBe(2);
    expect((await repo.cli(['frobnicate'])).code).toBe(2);
    const notFound = await repo.cli(['down', 'nope', '--json']);
    expect(notFound.code).toBe(1);
    expect(notFound.stdout).toBe('');
    expect(JSON.parse(notFound.stderr)).toMatchObject({ error: { code: 'LANE_NOT_FOUND' } });
    await repo.cli(['up', 'a']);
    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'work.txt'), 'w');
    const refused = await repo.cli(['down', 'a', '--json']);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stderr)).toMatchObject({ error: { code: 'WOULD_LOSE_WORK', files: ['?? work.txt'] } });
    const human = await repo.cli(['down', 'a']);
    expect(human.code).toBe(3);
    expect(human.stderr).toContain('?? work.txt');
    expect(human.stderr).toContain('--force');
    expect(await exists(path.join(repo.lanesRoot, 'a', 'work.txt'))).toBe(true);
    const forced = await repo.cli(['down', 'a', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('discarded 1 uncommitted file(s):');
    expect(forced.stdout).toContain('?? work.txt');
  });

  it('outside a repository: a clear error, exit 2', async () => {
    const result = await repo.cli(['ls'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not inside a git repository');
  });

  it('a broken isolane.yaml: file:line:col and key path, exit 2, nothing created', async () => {
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'lanes:\n  rot: x\n');
    const result = await repo.cli(['up', 'a']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('isolane.yaml:2:3 lanes.rot: unknown key (did you mean root?)');
    expect(await exists(repo.lanesRoot)).toBe(false);
  });

  it('init writes a commented isolane.yaml once; schema prints JSON Schema', async () => {
    expect((await repo.cli(['init'])).code).toBe(0);
    const text = await fsp.readFile(path.join(repo.root, 'isolane.yaml'), 'utf8');
    expect(text).toContain('# Prefix of every lane branch');
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), 'strategy: worktree\n');
    const again = await repo.cli(['init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    expect(await fsp.readFile(path.join(repo.root, 'isolane.yaml'), 'utf8')).toBe('strategy: worktree\n');
    expect((await repo.cli(['init', '--force'])).code).toBe(0);
    expect(await fsp.readFile(path.join(repo.root, 'isolane.yaml'), 'utf8')).toBe(text);
    const schema = JSON.parse((await repo.cli(['schema'])).stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(['base', 'branchPrefix', 'lanes', 'strategy', 'workloads', 'policy', 'ports', 'env', 'copy', 'setup', 'teardown', 'share', 'database', 'limits', 'budget', 'services', 'worktree', 'clone', 'container', 'snapshot']);
  });

  it('run: exit status passes through, isolane errors are 125, unknown commands 127', async () => {
    await repo.cli(['up', 'a']);
    const ok = await repo.cli(['run', 'a', '--', 'sh', '-c', 'echo "$ISOLANE_LANE $ISOLANE_BRANCH"; pwd; exit 5']);
    expect(ok.code).toBe(5);
    expect(ok.stdout).toBe(`a isolane/a\n${path.join(repo.lanesRoot, 'a')}\n`);
    expect((await repo.cli(['run', 'a', '--', 'ls', '--not-an-option-of-isolane'])).code).not.toBe(125);
    expect((await repo.cli(['run', 'zz', '--', 'true'])).code).toBe(125);
    expect((await repo.cli(['run', 'a', '--', 'no-such-command-xyz'])).code).toBe(127);
  });

  it('run: a signal sent to isolane reaches the command', async () => {
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'run', 'a', '--', 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'], {
      cwd: repo.root,
      env: repo.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      child.on('close', (code) => reject(new Error(`run ended (${String(code)}) before the command was ready: ${out}\n${err}`)));
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(out).toContain('got-term');
    expect(code).toBe(42);
  });
});
