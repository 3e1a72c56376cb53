import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { probeCgroups } from '../../src/limits/probe.js';
import { laneSlice, repoSlice } from '../../src/limits/systemd.js';
import { confinedArgv, PLACEMENT_FAILED } from '../../src/process/confined-argv.js';

const execFileP = promisify(execFile);
/** A unified (v2) tree beside v1 hierarchies (hybrid hosts such as this one): the probe's v2 path on a real cgroup2 mount. */
const unified = (await fsp.stat('/sys/fs/cgroup/unified/cgroup.controllers').catch(() => undefined)) !== undefined;

describe('placing a command before it runs', () => {
  it('leaves argv alone with nothing to confine it to', () => {
    expect(confinedArgv(undefined, ['echo', 'hi'])).toEqual(['echo', 'hi']);
  });

  it('writes its own pid into every procs file, then execs argv unchanged (no argument is ever shell text)', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-place-'));
    try {
      const files = [path.join(dir, 'a procs'), path.join(dir, '--x')];
      const tricky = ['sh', '-c', 'echo "$$ $1"', 'me', '$(touch pwned); --'];
      const argv = confinedArgv({ procsFiles: files }, tricky);
      const { stdout } = await execFileP(argv[0] ?? '', argv.slice(1), { cwd: dir });
      const [pid, arg] = stdout.trim().split(' ');
      // exec keeps the pid: the command itself is the process that was placed.
      expect(await fsp.readFile(files[0] ?? '', 'utf8')).toBe(`${pid ?? ''}\n`);
      expect(await fsp.readFile(files[1] ?? '', 'utf8')).toBe(`${pid ?? ''}\n`);
      expect(arg).toBe('$(touch');
      expect(stdout).toContain('$(touch pwned); --');
      await expect(fsp.stat(path.join(dir, 'pwned'))).rejects.toThrow();
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 125 and never runs the command when a cgroup cannot take it', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-place-'));
    try {
      const marker = path.join(dir, 'ran');
      const argv = confinedArgv({ procsFiles: [path.join(dir, 'missing', 'cgroup.procs')] }, ['touch', marker]);
      const err = (await execFileP(argv[0] ?? '', argv.slice(1)).catch((e: unknown) => e)) as { code?: number; stderr?: string };
      expect(err.code).toBe(PLACEMENT_FAILED);
      expect(err.stderr).toContain(`isolane: could not place the command in the cgroup ${path.join(dir, 'missing', 'cgroup.procs')}`);
      await expect(fsp.stat(marker)).rejects.toThrow();
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a procs path that is not absolute, or is the separator', () => {
    expect(() => confinedArgv({ procsFiles: ['--'] }, ['true'])).toThrow(TypeError);
    expect(() => confinedArgv({ procsFiles: ['cgroup.procs'] }, ['true'])).toThrow(TypeError);
  });

  it('names systemd slices so that a lane never nests in another (dashes escaped)', () => {
    expect(repoSlice('0123456789ab')).toBe('isolane-0123456789ab.slice');
    expect(laneSlice('0123456789ab', 'fix-login')).toBe('isolane-0123456789ab-fix\\x2dlogin.slice');
    expect(confinedArgv({ prefix: ['systemd-run', '--scope', '--'] }, ['make'])).toEqual(['systemd-run', '--scope', '--', 'make']);
  });

  it.skipIf(!unified)(
    'the probe reads a unified (v2) tree, and names a controller it lacks',
    async () => {
      const root = '/sys/fs/cgroup/unified';
      const enabled = (await fsp.readFile(path.join(root, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
      const probe = await probeCgroups(root);
      expect(probe.mode).toBe('v2');
      if (!enabled.includes('memory')) {
        expect(probe.available).toBe(false);
        expect(probe.problems.memory).toBe(`the memory controller is not available in ${root}/cgroup.controllers`);
      }
    },
  );
});
