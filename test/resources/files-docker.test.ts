/**
 * Ignored files a container lane gets (`.worktreeinclude`) belong to the lane's user, keep their
 * modes, and the container's user reads and changes them. (The files themselves, for host lanes:
 * files.test.ts.)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../helpers/docker.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const engine = await dockerAvailable('files-docker.test.ts');
let repo: TestRepo;

describe.runIf(engine)('ignored files in a container lane', () => {
  beforeEach(async () => {
    repo = await makeRepo({
      files: {
        'README.md': '# fixture\n',
        '.gitignore': '.env*\nconfig/*.json\nlink-*\n',
        '.worktreeinclude': '.env.local\nconfig/*.local.json\nlink-*\n',
        'isolane.yaml': 'strategy: container\n',
      },
    });
    await fsp.mkdir(path.join(repo.root, 'config'));
    await fsp.writeFile(path.join(repo.root, '.env.local'), 'SECRET=main\n', { mode: 0o600 });
    await fsp.chmod(path.join(repo.root, '.env.local'), 0o600);
    await fsp.writeFile(path.join(repo.root, 'config', 'app.local.json'), '{"local":true}\n');
    await fsp.symlink('README.md', path.join(repo.root, 'link-in'));
  });
  afterEach(async () => {
    await repo.cli(['down', 'c', '--force']);
    await repo.cleanup();
  });

  it("a container lane's copies belong to its user", async () => {
    const up = await repo.cli(['up', 'c']);
    expect(up.code, up.stderr).toBe(0);
    const lane = path.join(repo.lanesRoot, 'c');
    const root = await fsp.lstat(lane);
    for (const rel of ['.env.local', 'config/app.local.json', 'link-in']) {
      const st = await fsp.lstat(path.join(lane, rel));
      expect([rel, st.uid, st.gid]).toEqual([rel, root.uid, root.gid]);
    }
    expect((await fsp.lstat(path.join(lane, '.env.local'))).mode & 0o777).toBe(0o600);
    // The container's user reads and changes it.
    const r = await repo.cli(['run', 'c', '--', 'sh', '-c', 'cat .env.local && echo more >> .env.local']);
    expect(r.stdout, r.stderr).toBe('SECRET=main\n');
  });
});
