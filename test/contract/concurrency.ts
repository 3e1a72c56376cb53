/**
 * Many isolane processes on one repository at once (separate OS processes of the built CLI):
 * distinct lanes all become ready; one lane wanted twice is made once; a lane held by a process
 * waits; and, in the races, `ls` and `run` against `down` and `up` against `down`, nothing is
 * ever reported broken or left behind. Only end states are asserted, never timings.
 */
import { promises as fsp } from 'node:fs';
import { describe, expect } from 'vitest';
import { killCli } from '../helpers/crash.js';
import { exists, type CliResult } from '../helpers/repo.js';
import { contractIt, type Contract, type Lanes } from './fixture.js';

const story = (argv: readonly string[], r: CliResult): string => `isolane ${argv.join(' ')} -> ${r.code}\n${r.stderr}`;

/** `n` ups of distinct lanes at once, each whole; then `n` downs at once, leaving nothing. */
async function upsAndDowns(t: Lanes, n: number): Promise<void> {
  const oid = await t.oid();
  const lanes = Array.from({ length: n }, (_, i) => `lane-${i}`);
  const ups = await Promise.all(lanes.map((l) => t.cli(['up', l])));
  ups.forEach((r, i) => expect(r.code, story(['up', lanes[i]!], r)).toBe(0));
  ups.forEach((r, i) => expect(r.stdout.trim()).toBe(t.lanePath(lanes[i]!)));
  expect((await t.ls()).map((l) => [l.lane, l.state]).sort()).toEqual(lanes.map((l) => [l, 'ready']).sort());
  for (const l of lanes) await t.expectReady(l, oid);
  const downs = await Promise.all(lanes.map((l) => t.cli(['down', l])));
  downs.forEach((r, i) => expect(r.code, story(['down', lanes[i]!], r)).toBe(0));
  await t.expectNoLeaks('after the downs');
  expect(await t.ls()).toEqual([]);
}

export function concurrencyCases(c: Contract): void {
  describe('many processes at once', { tags: ['slow'] }, () => {
    const it = contractIt(c);

    it('4 ups of distinct lanes at once all become ready; as many downs at once remove them all', async ({ t }) => {
      await upsAndDowns(t, 4);
    });

    it('two ups of one lane at once: exactly one wins, the other says "already exists", and nothing is half made', async ({ t }) => {
      const oid = await t.oid();
      for (let round = 0; round < 3; round++) {
        const lane = `same-${round}`;
        const results = await Promise.all([t.cli(['up', lane]), t.cli(['up', lane])]);
        const winners = results.filter((r) => r.code === 0);
        const losers = results.filter((r) => r.code !== 0);
        expect(winners, results.map((r) => story(['up', lane], r)).join('\n')).toHaveLength(1);
        expect(losers[0]!.code).toBe(1);
        expect(losers[0]!.stderr).toContain('already exists');
        expect(losers[0]!.stdout).toBe('');
        // Exactly one lane, whole: one record, one directory, ready.
        expect((await fsp.readdir(`${t.repo.root}/.git/isolane/lanes`)).filter((f) => f.endsWith('.json'))).toEqual([`${lane}.json`]);
        await t.expectReady(lane, oid);
        await t.down(lane);
        await t.expectNoLeaks(`round ${round}`);
      }
    });

    it('a lane held by a process at work on it: ls says creating, and a second up waits for it, then says it is busy', async ({ t }) => {
      const p = t.spawn(['up', 'held'], { ISOLANE_TEST_CHECKPOINT: 'up:journaled' });
      await p.waitForStderr(/^checkpoint up:journaled$/m);
      const other = await t.cli(['up', 'held'], { ISOLANE_LOCK_TIMEOUT: '500' });
      expect(await t.stateOf('held')).toBe('creating');
      expect(p.exited(), `the paused process waits to be killed; stderr: ${p.stderr()}`).toBeUndefined();
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('lane held is busy: another isolane process has held it for 500 ms');
      await killCli(p);
    });
  });

  // Each race has a repository of its own: they run side by side.
  describe.concurrent('races', { tags: ['slow'] }, () => {
    const it = contractIt(c);

    it.runIf(c.concurrentLanes > 4)(`${c.concurrentLanes} ups of distinct lanes at once all become ready; as many downs at once remove them all`, async ({ t }) => {
      await upsAndDowns(t, c.concurrentLanes);
    }, 300_000);

    it('up and down of one lane at once leave it either whole or wholly gone, as their exit codes say', async ({ t, annotate }) => {
      const oid = await t.oid();
      const outcomes: string[] = [];
      for (let round = 0; round < 8; round++) {
        const lane = `x-${round}`;
        // Even rounds start without the lane, odd rounds with it.
        const preexisting = round % 2 === 1;
        if (preexisting) await t.up(lane);
        const [up, down] = await Promise.all([t.cli(['up', lane]), t.cli(['down', lane])]);
        const listed = (await t.ls()).find((l) => l.lane === lane);
        const dir = await exists(t.lanePath(lane));
        const what = `round ${round} (lane ${preexisting ? 'existed' : 'absent'}): ${story(['up', lane], up)}\n${story(['down', lane], down)}\nls: ${JSON.stringify(listed)} dir: ${dir}`;
        const whole = listed?.state === 'ready' && dir;
        expect(whole || (listed === undefined && !dir), what).toBe(true);
        outcomes.push(`${preexisting ? 'existed' : 'absent'}: up ${up.code} down ${down.code} -> ${whole ? 'whole' : 'gone'}`);
        // A reported success is never undone, and no lane is left that no successful up made.
        if (whole) {
          await t.expectReady(lane, oid);
          expect(up.code, what).toBe(0);
          // It existed: down removed it first, then up made it again. It did not: down found nothing.
          expect(down.code === 0, what).toBe(preexisting);
          await t.down(lane);
        } else if (preexisting) {
          expect(down.code, what).toBe(0);
          expect(up.code, what).not.toBe(0);
        } else {
          // Either up then down (both succeed), or down held the lane while up tried (both refuse).
          expect(up.code === 0, what).toBe(down.code === 0);
        }
        await t.expectNoLeaks(what);
      }
      await annotate(outcomes.join('\n'));
    }, 600_000);

    it('ls while lanes are made and removed never fails and never calls a live lane interrupted, orphan, missing or corrupt', async ({ t, expect }) => {
      const lanes = Array.from({ length: Math.min(6, c.concurrentLanes) }, (_, i) => `busy-${i}`);
      const seen = new Map<string, Set<string>>();
      const failures: string[] = [];
      /** Runs `ls --json` in two loops until `work` settles; records every state shown. */
      const lsDuring = async <T>(phase: string, work: Promise<T>): Promise<T> => {
        let done = false;
        const finished = work.finally(() => (done = true));
        const loop = async (): Promise<void> => {
          while (!done) {
            const r = await t.cli(['ls', '--json']);
            if (r.code !== 0) {
              failures.push(`during ${phase}: exit ${r.code}: ${r.stderr.slice(0, 400)}`);
              continue;
            }
            for (const l of JSON.parse(r.stdout) as Array<{ lane: string; state: string }>) {
              if (!seen.has(l.state)) seen.set(l.state, new Set());
              seen.get(l.state)!.add(`${l.lane} (during ${phase})`);
            }
          }
        };
        await Promise.all([loop(), loop()]);
        return finished;
      };
      const ups = await lsDuring('up', Promise.all(lanes.map((l) => t.cli(['up', l]))));
      ups.forEach((r) => expect(r.code, r.stderr).toBe(0));
      const downs = await lsDuring('down', Promise.all(lanes.map((l) => t.cli(['down', l]))));
      downs.forEach((r) => expect(r.code, r.stderr).toBe(0));
      await t.expectNoLeaks('after the downs');
      // Every process was alive throughout, so each lane is ready or in progress: never a state
      // whose note tells the reader to clean it up with `isolane down`.
      const states = Object.fromEntries([...seen].map(([state, names]) => [state, [...names].sort()]));
      for (const bad of ['interrupted', 'orphan', 'missing', 'corrupt']) expect.soft(states[bad], `ls said ${bad}: ${JSON.stringify(states)}`).toBeUndefined();
      expect.soft(failures, `isolane ls --json failed ${failures.length} time(s)`).toEqual([]);
    }, 600_000);

    it(`${c.races} races of ls against down: ls always answers, never calls the lane broken, nothing is left`, async ({ t }) => {
      for (let i = 0; i < c.races; i++) {
        await t.up('r');
        // Start ls a little before, with and after down, so that each step of down is seen.
        const lists = [0, 1].map(async (k) => {
          await new Promise((resolve) => setTimeout(resolve, (k + (i % 4)) * 90));
          return t.cli(['ls', '--json']);
        });
        const [down, ...seen] = await Promise.all([t.cli(['down', 'r']), ...lists]);
        expect(down.code, `race ${i}: down\n${down.stderr}`).toBe(0);
        for (const ls of seen) {
          expect(ls.code, `race ${i}: ls\n${ls.stderr}`).toBe(0);
          for (const l of JSON.parse(ls.stdout) as Array<{ lane: string; state: string; note?: string }>) {
            expect(['ready', 'removing'], `race ${i}: ls said ${l.state} (${l.note ?? ''})`).toContain(l.state);
          }
        }
        await t.expectNoLeaks(`race ${i}`);
      }
    }, 900_000);

    it(`${c.races} races of run against down: the command runs before the lane goes or isolane refuses it (125); nothing comes back`, async ({ t, annotate }) => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < c.races; i++) {
        await t.up('r');
        const run = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 40 * (i % 8)));
          return t.cli(['run', 'r', '--', 'sh', '-c', 'echo ran']);
        })();
        const [down, ran] = await Promise.all([t.cli(['down', 'r']), run]);
        expect(down.code, `race ${i}: down\n${down.stderr}`).toBe(0);
        if (ran.code === 0) expect(ran.stdout).toBe('ran\n');
        else expect(ran.code, `race ${i}: run\n${ran.stderr}`).toBe(125);
        const outcome = ran.code === 0 ? 'ran' : 'refused';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        // Give a late request the time to land, then look: no lane, no directory in its place.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await fsp.lstat(t.lanePath('r')).then(() => 'there', () => 'gone'), `race ${i}: lane directory`).toBe('gone');
        await t.expectNoLeaks(`race ${i}`);
      }
      await annotate(JSON.stringify(Object.fromEntries(outcomes)));
    }, 900_000);
  });
}
