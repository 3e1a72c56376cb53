import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The built CLI (npm test builds first). */
export const CLI = fileURLToPath(new URL('../../bin/isolane.js', import.meta.url));

export interface TestRepo {
  /** Temp directory holding the repository, its lanes root and a HOME. */
  readonly dir: string;
  /** The main checkout. */
  readonly root: string;
  /** Default lanes root for `root`. */
  readonly lanesRoot: string;
  /** Environment with a fixed identity and no user or system git config. */
  readonly env: Record<string, string>;
  git(args: readonly string[], cwd?: string): Promise<string>;
  /** Runs the isolane CLI; never throws on a non-zero exit. */
  cli(args: readonly string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A real repository in a temp dir: branch main, fixed identity, background maintenance off,
 * one commit with a few files. Every git and CLI call made through it uses `env`. The temp dir
 * is made under `base` when given (a filesystem of the test's own), else under the OS's.
 */
export async function makeRepo(opts: { files?: Record<string, string>; withOrigin?: boolean; base?: string } = {}): Promise<TestRepo> {
  const dir = await fsp.realpath(await fsp.mkdtemp(path.join(opts.base ?? os.tmpdir(), 'isolane-test-')));
  const root = path.join(dir, 'repo');
  const home = path.join(dir, 'home');
  await fsp.mkdir(home);
  await fsp.writeFile(
    path.join(home, '.gitconfig'),
    '[user]\n\tname = isolane test\n\temail = test@isolane.invalid\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n',
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    LC_ALL: 'C',
  };
  const git = async (args: readonly string[], cwd = root): Promise<string> =>
    (await execFileP('git', [...args], { cwd, env, timeout: 60_000 })).stdout;
  const cli = (args: readonly string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: o.cwd ?? root, env: { ...env, ...o.env }, timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  await fsp.mkdir(root);
  await git(['init', '--quiet', '--initial-branch=main']);
  const files = opts.files ?? { 'README.md': '# fixture\n', 'src/app.js': 'console.log("app");\n', 'package.json': '{"name":"fixture"}\n' };
  for (const [name, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fsp.writeFile(path.join(root, name), content);
  }
  await git(['add', '-A']);
  await git(['commit', '--quiet', '-m', 'initial']);
  if (opts.withOrigin) {
    // An upstream the repository was "cloned" from: a bare repository beside it.
    await git(['clone', '--quiet', '--bare', root, path.join(dir, 'upstream.git')], dir);
    await git(['remote', 'add', 'origin', path.join(dir, 'upstream.git')]);
    await git(['fetch', '--quiet', 'origin']);
  }
  return {
    dir,
    root,
    lanesRoot: path.join(dir, 'repo.lanes'),
    env,
    git,
    cli,
    cleanup: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}

export async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  );
}

/** Commits a file in `cwd` and returns the new commit id. */
export async function commitFile(repo: TestRepo, cwd: string, file: string, content: string, message = `add ${file}`): Promise<string> {
  await fsp.writeFile(path.join(cwd, file), content);
  await repo.git(['add', '--', file], cwd);
  await repo.git(['commit', '--quiet', '-m', message], cwd);
  return (await repo.git(['rev-parse', 'HEAD'], cwd)).trim();
}
