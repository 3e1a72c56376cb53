/**
 * "Bad input gets a clear error and changes nothing": the user's own input exits 2 with the file
 * and line, never a stack trace with exit 1.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { stateSnapshot } from '../helpers/state.js';

const execFileP = promisify(execFile);
let repo: TestRepo;
afterEach(async () => repo?.cleanup());
beforeEach(async () => {
  repo = await makeRepo();
});

const config = (text: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);

async function expectUsageError(argv: readonly string[], where: RegExp): Promise<void> {
  const before = await stateSnapshot(repo);
  const r = await repo.cli(argv);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(where);
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(await stateSnapshot(repo)).toEqual(before);
}

describe('isolane.yaml', () => {
  it('a YAML alias bomb', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    await config(`${lines.join('\n')}\n`);
    await expectUsageError(['up', 'a'], /isolane\.yaml:\d+:\d+ .*alias/i);
    await expectUsageError(['ls'], /isolane\.yaml:\d+:\d+/);
  });

  it('lanes.root that is a file', async () => {
    await fsp.writeFile(path.join(repo.dir, 'a-file'), 'x');
    await config('lanes:\n  root: ../a-file\n');
    await expectUsageError(['up', 'a'], /isolane\.yaml:2:3 lanes\.root: .*a-file is not a directory/);
  });

  it('lanes.root under a file', async () => {
    await fsp.writeFile(path.join(repo.dir, 'a-file'), 'x');
    await config('lanes:\n  root: ../a-file/lanes\n');
    await expectUsageError(['up', 'a'], /isolane\.yaml:2:3 lanes\.root/);
  });

  it('lanes.root that is a symlink loop', async () => {
    await fsp.symlink(path.join(repo.dir, 'loop-b'), path.join(repo.dir, 'loop-a'));
    await fsp.symlink(path.join(repo.dir, 'loop-a'), path.join(repo.dir, 'loop-b'));
    await config('lanes:\n  root: ../loop-a\n');
    await expectUsageError(['up', 'a'], /isolane\.yaml:2:3 lanes\.root: .*symlink loop/);
    await expectUsageError(['ls'], /symlink loop/);
  });

  for (const memory of ['"0"', '0k', '1m', '5.9m']) {
    it(`container.limits.memory: ${memory} (unlimited, or below Docker's minimum)`, async () => {
      await config(`container:\n  limits:\n    memory: ${memory}\n`);
      await expectUsageError(['up', 'a', '--strategy', 'container'], /isolane\.yaml:3:5 container\.limits\.memory: expected at least 6m/);
    });
  }

  it('a lanes.root given by the defaults (no isolane.yaml) names the default in its error', async () => {
    await execFileP('sh', ['-c', `mkdir -p "${path.join(repo.dir, 'repo.lanes')}" && chmod 777 "${path.join(repo.dir, 'repo.lanes')}"`]);
    await expectUsageError(['up', 'a'], /lanes\.root \(default\): .* can be written by other users/);
  });
});
