/**
 * Two commands racing on one lane: `run` against `down` (a run must never bring back the
 * container down removed, nor make Docker create a directory in the lane's place), and `ls`
 * against `down` (ls never fails and never calls a lane in flight broken). 20 races each,
 * nothing leaked after any of them.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, repoIdOf } from '../helpers/leaks.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const RACES = 20;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** The races for one strategy (one test file each, so that they run side by side). */
export function races(strategy: 'worktree' | 'clone' | 'container', enabled = true): void {
  describe.runIf(enabled)(`races: ${strategy}`, () => {
    let repo: TestRepo;
    beforeAll(async () => {
      repo = await makeRepo();
    });
    afterAll(async () => {
      await repo.cli(['down', 'r', '--force']);
      await repo.cleanup();
    });

    it(`${strategy}: ${RACES} races of ls against down: ls always answers, never calls the lane broken, nothing is left`, async () => {
      for (let i = 0; i < RACES; i++) {
        expect((await repo.cli(['up', 'r', '--strategy', strategy])).code).toBe(0);
        // Start ls a little before, with and after down, so that each step of down is seen.
        const lists = [0, 1].map(async (k) => {
          await new Promise((resolve) => setTimeout(resolve, (k + i % 4) * 90));
          return repo.cli(['ls', '--json']);
        });
        const [down, ...seen] = await Promise.all([repo.cli(['down', 'r']), ...lists]);
        expect(down.code, `race ${i}: down\n${down.stderr}`).toBe(0);
        for (const ls of seen) {
          expect(ls.code, `race ${i}: ls\n${ls.stderr}`).toBe(0);
          for (const l of JSON.parse(ls.stdout) as Array<{ lane: string; state: string; note?: string }>) {
            expect(['ready', 'removing'], `race ${i}: ls said ${l.state} (${l.note ?? ''})`).toContain(l.state);
          }
        }
        await expectNoLeaks(repo, strategy === 'container' ? docker : undefined, `race ${i}`);
      }
    }, 900_000);

    if (strategy === 'container') it(`${RACES} races: run never brings the container back, Docker never makes a directory in the lane's place`, async () => {
      const id = await repoIdOf(repo);
      const lanePath = path.join(repo.lanesRoot, 'r');
      const outcomes = new Map<string, number>();
      for (let i = 0; i < RACES; i++) {
        expect((await repo.cli(['up', 'r', '--strategy', 'container'])).code).toBe(0);
        const run = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 40 * (i % 8)));
          return repo.cli(['run', 'r', '--', 'sh', '-c', 'echo ran']);
        })();
        const [down, ran] = await Promise.all([repo.cli(['down', 'r']), run]);
        expect(down.code, `race ${i}: down\n${down.stderr}`).toBe(0);
        // The command either ran before the lane went, or isolane said it could not run it.
        const outcome = ran.code === 0 ? 'ran' : ran.code === 125 ? 'refused' : `exit ${ran.code}`;
        if (ran.code === 0) expect(ran.stdout.trim()).toBe('ran');
        else expect(ran.code, `race ${i}: run\n${ran.stderr}`).toBe(125);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        // Give a late request the time to land, then look: no container, no directory, no record.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await docker.listContainers({ all: true, filters: { label: [`isolane.repo=${id}`] } }), `race ${i}`).toEqual([]);
        expect(await fsp.lstat(lanePath).then(() => 'there', () => 'gone'), `race ${i}: lane directory`).toBe('gone');
        await expectNoLeaks(repo, docker, `race ${i}`);
      }
      expect([...outcomes.keys()].every((k) => k === 'ran' || k === 'refused')).toBe(true);
    }, 900_000);
  });
}
