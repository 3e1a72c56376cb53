// @module-tag slow (set-up and teardown steps in real lanes): the full suite only, not `npm run test:fast`
/**
 * Set-up and teardown steps, run for real in real lanes: a failing or missing command leaves a
 * lane listed as setup-failed that `isolane setup` repairs; teardown runs only when down goes
 * ahead, never blocks it, and its files never make a worktree's removal refuse. Facts come from
 * the filesystem, git and `ls --json`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { Project } from '../../src/engine/project.js';
import { runTeardown } from '../../src/resources/setup/run-teardown.js';
import { expectNoLane, killCli, killGroup, ls, readRecord, spawnCli } from '../helpers/crash.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
const groups: number[] = [];

type LsSetup = { lane: string; state: string; needsSetup?: boolean; note?: string };
const lsLane = async (lane: string): Promise<LsSetup | undefined> => (await ls(repo)).find((l) => l.lane === lane);
const yaml = (text: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);

beforeEach(async () => {
  repo = await makeRepo({ files: { 'README.md': '# fixture\n', '.gitignore': '*.log\nisolane.yaml\n', 'package-lock.json': '{"lockfileVersion":3}\n' } });
});
afterEach(async () => {
  for (const g of groups.splice(0)) killGroup(g);
  await repo.cleanup();
});

describe('setup', () => {
  it('a command that is not found fails up clearly (exit 5), lists the lane as setup-failed; `isolane setup` after the fix makes it ready', async () => {
    await yaml('setup:\n  - [no-such-command-xyz, --flag]\n');
    const up = await repo.cli(['up', 'a']);
    expect(up.code).toBe(5);
    expect(up.stderr).toContain('set-up step 1 of 1 (`no-such-command-xyz --flag`) failed in lane a: no-such-command-xyz: command not found');
    expect(up.stderr).toContain('isolane setup a');
    const lane = path.join(repo.lanesRoot, 'a');
    expect(await exists(path.join(lane, 'README.md'))).toBe(true);
    expect(await lsLane('a')).toMatchObject({ state: 'setup-failed', needsSetup: true });
    const refused = await repo.cli(['run', 'a', '--', 'true']); // not ready: nothing runs in it yet
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('isolane setup a');
    expect((await repo.cli(['path', 'a'])).stdout).toBe(`${lane}\n`); // but it is there to be looked at

    await yaml('setup:\n  - [sh, -c, \'echo "$ISOLANE_LANE" > setup.log\']\n');
    const again = await repo.cli(['setup', 'a', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ state: 'ready', resources: { setup: { ok: true } } });
    expect(await fsp.readFile(path.join(lane, 'setup.log'), 'utf8')).toBe('a\n');
    expect(await lsLane('a')).toMatchObject({ state: 'ready', needsSetup: false });
    expect((await repo.cli(['down', 'a'])).code).toBe(0);
    await expectNoLane(repo, 'a');
    expect(await exists(path.join(repo.root, '.git/isolane/setup/a.log'))).toBe(false);
  });

  it("a failing step's output is in the error and the lane's log; down removes the setup-failed lane", async () => {
    await yaml('setup:\n  - [sh, -c, "echo first"]\n  - [sh, -c, "echo boom-output >&2; exit 3"]\n  - [sh, -c, "echo never > never.log"]\n');
    const up = await repo.cli(['up', 'a', '--json']);
    expect(up.code).toBe(5);
    const error = (JSON.parse(up.stderr) as { error: { code: string; message: string; step: number; exitCode: number; log: string } }).error;
    expect(error).toMatchObject({ code: 'SETUP_FAILED', step: 2, exitCode: 3 });
    expect(error.message).toContain('boom-output');
    const log = await fsp.readFile(error.log, 'utf8');
    expect(log).toContain('$ sh -c "echo first"\nfirst\n');
    expect(log).toContain('boom-output');
    expect(await exists(path.join(repo.lanesRoot, 'a', 'never.log'))).toBe(false);
    expect((await readRecord(repo, 'a'))?.state).toBe('setup-failed');
    const down = await repo.cli(['down', 'a']);
    expect(down.code, down.stderr).toBe(0);
    await expectNoLane(repo, 'a');
  });

  it('ls shows a lane whose lockfile changed since its set-up as needing it again, until `isolane setup`', async () => {
    await yaml('setup:\n  - ["true"]\n');
    const made = await repo.cli(['up', 'a']);
    expect(made.code, made.stderr).toBe(0);
    expect(await lsLane('a')).toMatchObject({ state: 'ready', needsSetup: false });
    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'package-lock.json'), '{"lockfileVersion":3,"changed":true}\n');
    const stale = await lsLane('a');
    expect(stale).toMatchObject({ state: 'ready', needsSetup: true });
    expect(stale?.note).toContain('its lockfile changed since its set-up');
    expect((await repo.cli(['ls'])).stdout).toContain('a: its lockfile changed since its set-up; `isolane setup a` runs it again');
    expect((await repo.cli(['setup', 'a'])).code).toBe(0);
    expect(await lsLane('a')).toMatchObject({ needsSetup: false });
  });

  it('a kill -9 during set-up leaves a lane the next down removes', async () => {
    const mark = path.join(repo.dir, 'setup-started');
    await yaml(`setup:\n  - [sh, -c, 'touch "${mark}"; exec sleep 60']\n`);
    const p = spawnCli(repo, ['up', 'a']);
    groups.push(p.pid);
    for (let i = 0; i < 600 && !(await exists(mark)); i++) await sleep(50);
    expect(await exists(mark)).toBe(true);
    await killCli(p);
    expect((await lsLane('a'))?.state).toBe('interrupted');
    const down = await repo.cli(['down', 'a']);
    expect(down.code, down.stderr).toBe(0);
    await expectNoLane(repo, 'a');
  });
});

describe('bad input', () => {
  it.each([
    ['setup:\n  - "npm ci"\n', /isolane\.yaml:2:5 setup\.0: expected an array/],
    ['share:\n  - path: ../elsewhere\n', /isolane\.yaml:2:5 share\.0\.path: expected a plain relative path/],
    ['share:\n  - path: /abs/node_modules\n', /isolane\.yaml:2:5 share\.0\.path: expected a path relative to the repository root/],
    ['share:\n  - path: node_modules\n    mode: sideways\n', /isolane\.yaml:3:5 share\.0\.mode: expected one of: auto, reflink/],
    ['share:\n  - path: node_modules\n  - path: node_modules/\n', /share: expected each path once/],
  ])('%j is refused with file:line:col (exit 2) and nothing is made', async (text, message) => {
    await yaml(text);
    const up = await repo.cli(['up', 'a']);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(message);
    expect(await exists(repo.lanesRoot)).toBe(false);
    expect((await repo.git(['for-each-ref', 'refs/heads/isolane/'])).trim()).toBe('');
  });
});

describe('teardown', () => {
  it('runs before removal with the lane environment; its failure is reported and the lane removed', async () => {
    const out = path.join(repo.dir, 'teardown-saw');
    await yaml(`teardown:\n  - [sh, -c, 'echo "$ISOLANE_LANE" > "${out}"; echo leftover > teardown-wrote.txt']\n  - [sh, -c, "echo teardown-broke >&2; exit 7"]\n`);
    const made = await repo.cli(['up', 'a']);
    expect(made.code, made.stderr).toBe(0);
    const down = await repo.cli(['down', 'a']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/note: teardown step 2 of 2 \(`sh -c echo teardown-broke >&2; exit 7`\) exited 7; the lane was removed anyway/);
    expect(down.stdout).toContain('teardown-broke');
    expect(await fsp.readFile(out, 'utf8')).toBe('a\n');
    // An untracked file the teardown wrote did not make the worktree's removal refuse.
    await expectNoLane(repo, 'a');
  });

  it('does not run when down refuses, and the lane stays whole', async () => {
    const out = path.join(repo.dir, 'teardown-ran');
    await yaml(`teardown:\n  - [touch, "${out}"]\n`);
    const made = await repo.cli(['up', 'a']);
    expect(made.code, made.stderr).toBe(0);
    await fsp.writeFile(path.join(repo.lanesRoot, 'a', 'work.txt'), 'unsaved\n');
    const down = await repo.cli(['down', 'a']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('work.txt');
    expect(await exists(out)).toBe(false);
    expect((await lsLane('a'))?.state).toBe('ready');
  });

  it('is stopped at its time limit, reported, and removal goes on', async () => {
    await yaml('teardown:\n  - [sleep, "60"]\n');
    const made = await repo.cli(['up', 'a']);
    expect(made.code, made.stderr).toBe(0);
    const project = await Project.open(createContext({ cwd: repo.root, env: repo.env }));
    const record = await project.journal.read('a');
    if (!record) throw new Error('no record');
    const notes = await runTeardown(project, record, await project.strategy(record.strategy), 300);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('did not finish within 0.3 s, stopped');
    await yaml('teardown: []\n');
    expect((await repo.cli(['down', 'a'])).code).toBe(0);
  });
});
