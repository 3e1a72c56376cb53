/**
 * kill -9 at every step: 25 kills of `up` and 25 of `down` per strategy, spread over the whole
 * length of the command, each followed by recovery with isolane's own commands alone. After
 * every cycle nothing is left: no branch, ref namespace, worktree, record, directory, view,
 * container or network.
 */
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGroup, spawnCli, waitGroupGone } from '../helpers/crash.js';
import { expectNoLeaks, repoIdOf } from '../helpers/leaks.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const CYCLES = 25;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Runs the CLI to the end and returns how long it took. */
async function timed(repo: TestRepo, argv: readonly string[]): Promise<number> {
  const started = performance.now();
  const r = await repo.cli(argv);
  expect(r.code, `isolane ${argv.join(' ')}: ${r.stderr}`).toBe(0);
  return performance.now() - started;
}

/**
 * Starts the CLI and SIGKILLs it after `delayMs`, unless it ended first; waits for the git
 * children it left. Says whether the kill landed, and how long a run that ended took.
 */
async function killAfter(repo: TestRepo, argv: readonly string[], delayMs: number): Promise<{ killed: boolean; ms: number }> {
  const started = performance.now();
  const p = spawnCli(repo, argv);
  let ended = 0;
  p.child.once('exit', () => (ended = performance.now() - started));
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const killed = p.exited() === undefined;
  if (killed) process.kill(p.pid, 'SIGKILL');
  await p.closed;
  await waitGroupGone(p.pid).catch(() => killGroup(p.pid));
  return { killed, ms: ended };
}

/**
 * Kills `argv` until CYCLES kills have landed while it ran, at moments spread evenly over its
 * length (a golden-ratio sequence over [0, d)); d starts as measured and shrinks whenever a run
 * beats its kill, as load on the host changes. `each` prepares and checks every cycle.
 */
async function killLoop(repo: TestRepo, argv: readonly string[], measuredMs: number, each: { before?: () => Promise<void>; after: (what: string) => Promise<void> }): Promise<number> {
  let d = measuredMs;
  let killed = 0;
  let attempts = 0;
  for (; killed < CYCLES && attempts < CYCLES * 3; attempts++) {
    await each.before?.();
    const delay = d * ((attempts * 0.6180339887) % 1);
    const r = await killAfter(repo, argv, delay);
    if (r.killed) killed++;
    else d = Math.max(20, Math.min(d, r.ms * 0.95));
    await each.after(`attempt ${attempts} (kill at ${delay.toFixed(0)} ms${r.killed ? '' : ', ran to its end first'})`);
  }
  expect(killed, `kills that landed in ${attempts} attempts`).toBe(CYCLES);
  return attempts;
}

/**
 * Recovery as a user would: `down`; then, if the engine finished making a container for a killed
 * `up` after that clean-up (ls lists it as an orphan, proven by its labels), `down` once more.
 */
async function recover(repo: TestRepo, lane: string, what: string, engine?: Docker): Promise<void> {
  const down = await repo.cli(['down', lane]);
  expect(down.code === 0 || /no lane named/.test(down.stderr), `${what}: down after the kill\n${down.stderr}`).toBe(true);
  if (!engine) return;
  const late = await engine.listContainers({ all: true, filters: { label: [`isolane.repo=${await repoIdOf(repo)}`] } });
  if (late.length === 0) return;
  const ls = await repo.cli(['ls', '--json']);
  expect(ls.code, `${what}: ls\n${ls.stderr}`).toBe(0);
  expect(JSON.parse(ls.stdout), `${what}: ls`).toMatchObject([{ lane, state: 'orphan' }]);
  const again = await repo.cli(['down', lane]);
  expect(again.code, `${what}: down of the orphan\n${again.stderr}`).toBe(0);
}

/** The loops for one strategy (one test file each, so that the strategies run side by side). */
export function killLoops(strategy: 'worktree' | 'clone' | 'container', enabled = true): void {
  describe.runIf(enabled).sequential(`kill -9 loops: ${strategy}`, () => {
    let repo: TestRepo;
    const up = ['up', 'k', '--strategy', strategy];
    let upMs = 0;
    let downMs = 0;
    beforeAll(async () => {
      repo = await makeRepo();
      // How long each command takes here: the kills are spread over that span.
      upMs = await timed(repo, up);
      downMs = await timed(repo, ['down', 'k']);
    });
    afterAll(async () => {
      await repo.cli(['down', 'k', '--force']);
      await repo.cleanup();
    });

    it(`${CYCLES} kills of up, each landing while it runs, each recovered by down`, async ({ annotate }) => {
      const attempts = await killLoop(repo, up, upMs, {
        after: async (what) => {
          await recover(repo, 'k', `up ${what}`, strategy === 'container' ? docker : undefined);
          await expectNoLeaks(repo, strategy === 'container' ? docker : undefined, `up ${what}`);
        },
      });
      await annotate(`${CYCLES} kills landed in ${attempts} attempts (up takes ~${upMs.toFixed(0)} ms here)`);
    }, 900_000);

    it(`${CYCLES} kills of down, each landing while it runs, each finished by a second down`, async ({ annotate }) => {
      const attempts = await killLoop(repo, ['down', 'k'], downMs, {
        before: async () => {
          expect((await repo.cli(up)).code).toBe(0);
        },
        after: async (what) => {
          await recover(repo, 'k', `down ${what}`, strategy === 'container' ? docker : undefined);
          await expectNoLeaks(repo, strategy === 'container' ? docker : undefined, `down ${what}`);
        },
      });
      await annotate(`${CYCLES} kills landed in ${attempts} attempts (down takes ~${downMs.toFixed(0)} ms here)`);
    }, 900_000);
  });
}
