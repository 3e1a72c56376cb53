import path from 'node:path';
import type Docker from 'dockerode';
import { GitError } from '../errors.js';
import { OID, type LaneRefs } from '../git/lane-refs.js';
import { isGitRefName } from '../git/names.js';
import { isSafeSubPath, submoduleHints, type LaneReader } from '../lane/reader.js';
import { CONTAINER_COMMAND_TIMEOUT_MS, execInContainer } from './exec.js';

/** Prints every ref, HEAD and the stash's entries in one exec, each part after a marker line. */
const REFS_SCRIPT = [
  "git for-each-ref --format='%(objectname) %(refname)'",
  'echo @@HEAD',
  'git rev-parse --verify --quiet HEAD',
  'echo @@STASH',
  'git log --walk-reflogs --format=%H refs/stash -- 2>/dev/null',
  'exit 0',
].join('; ');

/**
 * git inside a lane's running container: whatever the lane did to its repository (symlinks,
 * FIFOs, config, hooks) acts inside the container, never on the host. Every command has a time
 * limit and a bound on its output.
 */
export function containerReader(container: Docker.Container, workdir: string, hostPath: string): LaneReader {
  const where = `${workdir} in container ${container.id.slice(0, 12)}`;
  const exec = (argv: readonly string[], input?: string) =>
    execInContainer(container, argv, {
      env: {},
      stdio: 'pipe',
      workdir,
      timeoutMs: CONTAINER_COMMAND_TIMEOUT_MS,
      ...(input === undefined ? {} : { input }),
    });
  const reader: LaneReader = {
    recursesSubmodules: true,
    async git(argv, opts = {}) {
      const r = await exec(['git', ...argv], opts.input);
      if (r.exitCode === 0 || opts.okExitCodes?.includes(r.exitCode)) return { stdout: r.stdout, exitCode: r.exitCode };
      throw new GitError(argv, where, r.exitCode, r.stderr);
    },
    async refs(): Promise<LaneRefs> {
      const r = await exec(['sh', '-c', REFS_SCRIPT]);
      const [refLines = '', headLine = '', stashLines = ''] = r.stdout.split(/^@@(?:HEAD|STASH)\n/m);
      const refs = new Map<string, string>();
      const unreadable: string[] = [];
      for (const line of refLines.split('\n').filter(Boolean)) {
        const [oid = '', name = ''] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
        if (OID.test(oid) && isGitRefName(name)) refs.set(name, oid);
        else unreadable.push(`a ref isolane cannot read: ${JSON.stringify(line.slice(0, 80))}`);
      }
      if (r.exitCode !== 0) unreadable.push(`listing refs in the container failed: ${r.stderr.trim().slice(0, 200)}`);
      const head = headLine.trim();
      return { head: OID.test(head) ? head : undefined, refs, stash: stashLines.split('\n').filter((l) => OID.test(l)), unreadable };
    },
    async submodule(subPath) {
      if (!isSafeSubPath(subPath)) return undefined;
      const dir = path.posix.join(workdir, subPath);
      // Initialized only when git finds a repository whose top is that very directory.
      const top = await exec(['git', '-C', dir, 'rev-parse', '--show-toplevel']);
      return top.exitCode === 0 && top.stdout.trim() === dir ? containerReader(container, dir, path.join(hostPath, subPath)) : undefined;
    },
    // The lane's directory is on the host: looking (lstat, never following) costs no exec.
    mayHaveSubmodules: () => submoduleHints(hostPath, path.join(hostPath, '.git')),
    close: () => Promise.resolve(),
  };
  return reader;
}
