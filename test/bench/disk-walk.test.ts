import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskTally, laneRoots, linkedInodes, walkTree } from '../../src/lane/disk-walk.js';
import { disagreement } from '../../bench/lane-disk.js';

const execFileP = promisify(execFile);

// Real git, real files: what a lane adds is found by walking it, whatever else writes meanwhile.
let dir: string;
let main: string;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
const git = (cwd: string, args: readonly string[]) => execFileP('git', [...args], { cwd, env, timeout: 60_000 });

beforeEach(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-disk-walk-')));
  main = path.join(dir, 'main');
  await fsp.mkdir(main);
  await git(main, ['init', '-q', '-b', 'main']);
  // Incompressible content, loose objects: a clone that copies them costs about 1 MiB more.
  for (let i = 0; i < 4; i++) await fsp.writeFile(path.join(main, `f${i}.bin`), randomBytes(256 * 1024));
  await git(main, ['add', '.']);
  await git(main, ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'init']);
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function laneBytes(lane: string): Promise<number> {
  const tally = new DiskTally(await linkedInodes([path.join(main, '.git', 'objects')]));
  return (await tally.add(await laneRoots(lane))).allocatedBytes;
}

describe('disk a lane adds, walked', () => {
  it('leaves out objects a local clone hard-links from the main repository, and counts a real copy', async () => {
    const linked = path.join(dir, 'linked');
    const copied = path.join(dir, 'copied');
    await git(dir, ['clone', '-q', '--local', main, linked]);
    await git(dir, ['clone', '-q', '--no-local', main, copied]);
    const objects = async (lane: string) => (await new DiskTally(new Set()).add([path.join(lane, '.git', 'objects')])).allocatedBytes;
    // Same objects either way; only the hard-linked ones are shared.
    expect(await objects(linked)).toBeGreaterThan(900 * 1024);
    expect((await laneBytes(copied)) - (await laneBytes(linked))).toBeGreaterThan(900 * 1024);
  });

  it("counts a worktree lane's checkout and its admin directory in the main .git, not the shared objects", async () => {
    const lane = path.join(dir, 'wt');
    await git(main, ['worktree', 'add', '-q', '-b', 'wt', lane]);
    const roots = await laneRoots(lane);
    expect(roots).toEqual([lane, path.join(main, '.git', 'worktrees', 'wt')]);
    const checkout = (await new DiskTally(new Set()).add([lane])).allocatedBytes;
    const both = await laneBytes(lane);
    // The admin directory holds the lane's index, a few KiB; the objects (1 MiB) are not counted.
    expect(both).toBeGreaterThan(checkout);
    expect(both - checkout).toBeLessThan(256 * 1024);
  });

  it('counts each inode once, never follows symlinks, and walks a tree whose files vanish', async () => {
    const lane = path.join(dir, 'lane');
    await fsp.mkdir(lane);
    await fsp.writeFile(path.join(lane, 'a'), Buffer.alloc(512 * 1024, 1));
    await fsp.link(path.join(lane, 'a'), path.join(lane, 'b'));
    await fsp.symlink(path.join(main, 'f0.bin'), path.join(lane, 'outside'));
    await fsp.symlink(main, path.join(lane, 'outside-dir'));
    const walked = await new DiskTally(new Set()).add([lane]);
    expect(walked.apparentBytes).toBe(512 * 1024);
    expect(walked.allocatedBytes).toBeGreaterThanOrEqual(512 * 1024);
    expect(walked.allocatedBytes).toBeLessThan(600 * 1024);

    // Files deleted while the walk runs are skipped, not errors.
    const many = path.join(dir, 'many');
    await fsp.mkdir(many);
    await Promise.all(Array.from({ length: 2000 }, (_, i) => fsp.writeFile(path.join(many, `f${i}`), 'x')));
    const removing = fsp.rm(many, { recursive: true, force: true });
    await expect(walkTree(many, () => undefined)).resolves.toBeUndefined();
    await removing;
  });

  it('notes a statfs figure more than 20% off the walked one, and only then', () => {
    expect(disagreement(10 * 2 ** 20, 11 * 2 ** 20)).toBeUndefined();
    expect(disagreement(10 * 2 ** 20, 0)).toMatch(/more than 20% apart/);
    expect(disagreement(10 * 2 ** 20, 210 * 2 ** 20)).toMatch(/statfs says 210\.0 MiB per lane, the walk 10\.0 MiB/);
  });
});
