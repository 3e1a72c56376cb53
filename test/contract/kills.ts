/**
 * kill -9 anywhere in `up` or `down` leaves a state isolane's own commands finish: at the named
 * checkpoints (ISOLANE_TEST_CHECKPOINT) the lane shows as interrupted and `up` or `down` take it
 * from there; in the loops, `c.kills` kills of each command land at moments spread over its whole
 * length, each followed by recovery with isolane's commands alone and a check that nothing leaked
 * (no branch, ref namespace, worktree, record, directory, view, container).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { killGroup, killCli, waitGroupGone } from '../helpers/crash.js';
import { repoIdOf } from '../helpers/leaks.js';
import { exists } from '../helpers/repo.js';
import { contractIt, type Contract, type Lanes } from './fixture.js';

/** Runs `args` until it reports `checkpoint`, then SIGKILLs it and waits for its git children to end. */
async function killAt(t: Lanes, args: readonly string[], checkpoint: string): Promise<void> {
  const p = t.spawn(args, { ISOLANE_TEST_CHECKPOINT: checkpoint });
  await p.waitForStderr(new RegExp(`^checkpoint ${checkpoint}$`, 'm'));
  await killCli(p);
  await waitGroupGone(p.pid);
}

async function recordState(t: Lanes, lane: string): Promise<string | undefined> {
  const text = await fsp.readFile(path.join(t.repo.root, '.git', 'isolane', 'lanes', `${lane}.json`), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { state: string }).state;
}

/**
 * Recovery as a user would: `down`; then, if the engine finished making a container for a killed
 * `up` after that clean-up (ls lists it as an orphan, proven by its labels), `down` once more.
 */
async function recover(t: Lanes, lane: string, what: string): Promise<void> {
  const down = await t.cli(['down', lane]);
  expect(down.code === 0 || /no lane named/.test(down.stderr), `${what}: down after the kill\n${down.stderr}`).toBe(true);
  if (!t.c.docker) return;
  const late = await t.c.docker.listContainers({ all: true, filters: { label: [`isolane.repo=${await repoIdOf(t.repo)}`] } });
  if (late.length === 0) return;
  expect(await t.ls(), `${what}: ls`).toMatchObject([{ lane, state: 'orphan' }]);
  const again = await t.cli(['down', lane]);
  expect(again.code, `${what}: down of the orphan\n${again.stderr}`).toBe(0);
}

export function killCases(c: Contract): void {
  describe('kill -9 at a checkpoint', { tags: ['slow'] }, () => {
    const it = contractIt(c);

    for (const checkpoint of ['up:journaled', 'up:created'] as const) {
      const made = checkpoint === 'up:created';
      it(`of up at ${checkpoint}: ls shows the lane interrupted; up then makes it whole, and down removes it all`, async ({ t }) => {
        const oid = await t.oid();
        await killAt(t, ['up', 'crashy'], checkpoint);
        expect(await recordState(t, 'crashy')).toBe('creating');
        expect(await exists(t.lanePath('crashy')), 'lane directory').toBe(made);
        expect(await t.ls()).toMatchObject([{ lane: 'crashy', state: 'interrupted' }]);

        await t.up('crashy');
        await t.expectReady('crashy', oid);
        await t.down('crashy');
        await t.expectNoLeaks('after up and down');
      });

      it(`of up at ${checkpoint}: a down right away removes every part of it, and the name is free again`, async ({ t }) => {
        const oid = await t.oid();
        await killAt(t, ['up', 'crashy'], checkpoint);
        const r = await t.cli(['down', 'crashy', '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ lane: 'crashy', wasHalfMade: true });
        await t.expectNoLeaks('after down');
        expect(await t.ls()).toEqual([]);
        await t.up('crashy');
        await t.expectReady('crashy', oid);
        await t.down('crashy');
        await t.expectNoLeaks('after up and down');
      });
    }

    it('of down at down:removing: ls shows the lane interrupted; a second down finishes the removal, and the name is free again', async ({ t }) => {
      const oid = await t.oid();
      await t.up('going');
      await killAt(t, ['down', 'going'], 'down:removing');
      expect(await recordState(t, 'going')).toBe('removing');
      expect(await exists(t.lanePath('going')), 'nothing removed yet').toBe(true);
      expect(await t.ls()).toMatchObject([{ lane: 'going', state: 'interrupted' }]);

      const out = await t.down('going');
      expect(out).toContain('finished an interrupted removal');
      if (c.refs === 'shared') expect(out).toContain(`deleted branch isolane/going (was ${oid.slice(0, 12)})`);
      expect(await t.refOid('refs/heads/isolane/going')).toBeUndefined();
      await t.expectNoLeaks('after the second down');
      expect(await t.ls()).toEqual([]);
      await t.up('going');
      await t.expectReady('going', oid);
    });
  });

  // Each loop has a repository of its own: the two run side by side (their kills adapt to the load).
  describe.concurrent('kill -9 loops', { tags: ['slow'] }, () => {
    const it = contractIt(c);

    /** Runs the CLI to the end and returns how long it took. */
    async function timed(t: Lanes, argv: readonly string[]): Promise<number> {
      const started = performance.now();
      const r = await t.cli(argv);
      expect(r.code, `isolane ${argv.join(' ')}: ${r.stderr}`).toBe(0);
      return performance.now() - started;
    }

    /**
     * Starts the CLI and SIGKILLs it after `delayMs`, unless it ended first; waits for the git
     * children it left. Says whether the kill landed, and how long a run that ended took.
     */
    async function killAfter(t: Lanes, argv: readonly string[], delayMs: number): Promise<{ killed: boolean; ms: number }> {
      const started = performance.now();
      const p = t.spawn(argv);
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
     * Kills `argv` until c.kills kills have landed while it ran, at moments spread evenly over
     * its length (a golden-ratio sequence over [0, d)); d starts as measured and shrinks whenever
     * a run beats its kill, as load on the host changes. `each` prepares and checks every cycle.
     */
    async function killLoop(t: Lanes, argv: readonly string[], measuredMs: number, each: { before?: () => Promise<void>; after: (what: string) => Promise<void> }): Promise<number> {
      let d = measuredMs;
      let killed = 0;
      let attempts = 0;
      for (; killed < c.kills && attempts < c.kills * 3; attempts++) {
        await each.before?.();
        const delay = d * ((attempts * 0.6180339887) % 1);
        const r = await killAfter(t, argv, delay);
        if (r.killed) killed++;
        else d = Math.max(20, Math.min(d, r.ms * 0.95));
        await each.after(`attempt ${attempts} (kill at ${delay.toFixed(0)} ms${r.killed ? '' : ', ran to its end first'})`);
      }
      expect(killed, `kills that landed in ${attempts} attempts`).toBe(c.kills);
      return attempts;
    }

    it(`${c.kills} kills of up, each landing while it runs, each recovered by down`, async ({ t, annotate }) => {
      // How long up takes here: the kills are spread over that span.
      const upMs = await timed(t, ['up', 'k']);
      await t.down('k');
      const attempts = await killLoop(t, ['up', 'k'], upMs, {
        after: async (what) => {
          await recover(t, 'k', `up ${what}`);
          await t.expectNoLeaks(`up ${what}`);
        },
      });
      await annotate(`${c.kills} kills landed in ${attempts} attempts (up takes ~${upMs.toFixed(0)} ms here)`);
    }, 900_000);

    it(`${c.kills} kills of down, each landing while it runs, each finished by a second down`, async ({ t, annotate }) => {
      await t.up('k');
      const downMs = await timed(t, ['down', 'k']);
      const attempts = await killLoop(t, ['down', 'k'], downMs, {
        before: async () => {
          expect((await t.cli(['up', 'k'])).code).toBe(0);
        },
        after: async (what) => {
          await recover(t, 'k', `down ${what}`);
          await t.expectNoLeaks(`down ${what}`);
        },
      });
      await annotate(`${c.kills} kills landed in ${attempts} attempts (down takes ~${downMs.toFixed(0)} ms here)`);
    }, 900_000);
  });
}
