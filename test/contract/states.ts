/**
 * What `ls` says of a lane that is not simply ready, and that isolane's own commands clean up
 * after each: a directory removed by hand (missing), a lost record (orphan), an unreadable
 * record (corrupt). A lane half made by a killed `up` (interrupted) is in kills.ts.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { contractIt, type Contract, type Lanes } from './fixture.js';

export function stateCases(c: Contract): void {
  describe('ls states', () => {
    const it = contractIt(c);
    const record = (t: Lanes, lane: string): string => path.join(t.repo.root, '.git', 'isolane', 'lanes', `${lane}.json`);

    it('a lane whose directory was removed by hand is missing; a plain down removes the rest', async ({ t }) => {
      await t.up('a');
      await t.up('b');
      await c.removeByHand(t.lanePath('a'));
      expect((await t.ls()).map((l) => [l.lane, l.state])).toEqual([
        ['a', 'missing'],
        ['b', 'ready'],
      ]);
      await t.down('a');
      expect((await t.ls()).map((l) => l.lane)).toEqual(['b']);
      await t.down('b');
      await t.expectNoLeaks('after down');
    });

    it('a lane whose record was lost is an orphan isolane proves its own: down keeps its work, --force removes it', async ({ t }) => {
      await t.up('a');
      const oid = await t.commit('a', 'w.txt', 'orphan work');
      await fsp.rm(record(t, 'a'));
      expect(await t.ls()).toMatchObject([{ lane: 'a', state: 'orphan', strategy: c.strategy, branch: 'isolane/a' }]);
      const refused = await t.cli(['down', 'a']);
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain('orphan work');
      const forced = await t.cli(['down', 'a', '--force', '--json']);
      expect(forced.code, forced.stderr).toBe(0);
      const report = JSON.parse(forced.stdout) as { discarded: { commits: Array<{ oid: string }>; keptUnder: string } };
      expect(report.discarded.commits.map((x) => x.oid)).toContain(oid);
      expect(await t.repo.git(['rev-list', '--all'])).toContain(oid);
      expect(await t.ls()).toEqual([]);
    });

    it('a lane whose record cannot be read is listed as corrupt, and ls still lists the others', async ({ t }) => {
      await t.up('a');
      await t.up('b');
      await fsp.writeFile(record(t, 'a'), '{ not json');
      const lanes = await t.ls();
      expect(lanes.find((l) => l.lane === 'a')).toMatchObject({ state: 'corrupt' });
      expect(lanes.find((l) => l.lane === 'b')).toMatchObject({ state: 'ready' });
    });
  });
}
