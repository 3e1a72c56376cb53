import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Plain git, the way a careful script would call it: one process per command, no wrapper. */
export async function rawGit(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  await execFileP('git', [...args], { cwd, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
}

export async function rawNode(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  await execFileP(process.execPath, [...args], { cwd, env, timeout: 120_000 });
}
