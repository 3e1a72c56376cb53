// @module-tag slow (the policy through the CLI): the full suite only, not `npm run test:fast`
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const CONFIG = `strategy: auto
workloads:
  default:
    agents: 3
  forks:
    description: agents that push to remotes of their own
    needs: [own-remote]
    agents: 4
  review:
    trust: untrusted
    needs: [network-isolation]
  docs: {}
policy:
  - when: { workload: forks, maxAgents: 2 }
    strategy: worktree
  - when: { workload: [docs, notes] }
    strategy: clone
    because: docs builds write into the tree
`;
/** No engine answers here, whatever this machine runs. */
const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/isolane-test.sock' };

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeRepo();
  await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), CONFIG);
});
afterEach(async () => {
  await repo.cleanup();
});

describe('hybrid policy', () => {
  it('strategy: auto and --workload choose per workload and record why', async () => {
    const a = await repo.cli(['up', 'a', '--json'], { env: NO_DOCKER });
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ strategy: 'worktree', workload: 'default' });
    const f = await repo.cli(['up', 'f', '--workload', 'forks', '--json'], { env: NO_DOCKER });
    expect(f.code).toBe(0);
    const record = JSON.parse(f.stdout) as { strategy: string; reasons: string[] };
    expect(record.strategy).toBe('clone');
    expect(record.reasons.at(-1)).toMatch(/^built-in: needs a remote of its own/);
    // A clone lane really is a repository of its own.
    expect(await exists(path.join(repo.lanesRoot, 'f', '.git', 'config'))).toBe(true);
    // Without --json: the path alone on stdout, the choice and its reason on stderr.
    const g = await repo.cli(['up', 'g', '--workload', 'forks'], { env: NO_DOCKER });
    expect(g.code).toBe(0);
    expect(g.stdout).toBe(`${path.join(repo.lanesRoot, 'g')}\n`);
    expect(g.stderr).toMatch(/^workload forks: clone \(built-in: needs a remote of its own/m);
  });

  it('an impossible demand fails before anything is made, naming the need and the engine tried', async () => {
    const before = await repo.git(['for-each-ref']);
    const r = await repo.cli(['up', 'r', '--workload', 'review'], { env: NO_DOCKER });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/workload review cannot be served on this host/);
    expect(r.stderr).toMatch(/network-isolation: only container gives it, and container is ruled out \(cannot run here: no Docker engine .*\/nonexistent\/isolane-test\.sock/);
    expect(await exists(path.join(repo.lanesRoot, 'r'))).toBe(false);
    expect(await repo.git(['for-each-ref'])).toBe(before);
    expect(await exists(path.join(repo.root, '.git', 'isolane', 'lanes', 'r.json'))).toBe(false);
    // An explicit strategy is still checked against the workload's needs.
    const forced = await repo.cli(['up', 'r', '--workload', 'review', '--strategy', 'worktree', '--json'], { env: NO_DOCKER });
    expect(forced.code).toBe(4);
    expect(JSON.parse(forced.stderr)).toMatchObject({ error: { code: 'POLICY_UNMET', workload: 'review', strategy: 'worktree' } });
    expect(await exists(path.join(repo.lanesRoot, 'r'))).toBe(false);
  });

  it('policy explain shows the decision, each reason and the numbers; stored bench results rule clones out', async () => {
    const plain = await repo.cli(['policy', 'explain', 'forks'], { env: NO_DOCKER });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^workload forks: clone$/m);
    expect(plain.stdout).toMatch(/trust trusted; needs own-remote; 4 agent\(s\); io-bound/);
    expect(plain.stdout).toMatch(/not bench(ed)? \(`isolane bench`\)/);
    // A bench that measured 1 TiB per clone: four of them fit no disk here.
    const store = path.join(repo.root, '.git', 'isolane', 'bench');
    await fsp.mkdir(store, { recursive: true });
    const lane = (strategy: string, bytes: number, mode?: string) => ({ strategy, label: mode ? `${strategy} (${mode})` : strategy, disk: { many: { fsBytesPerLane: bytes } } });
    await fsp.writeFile(
      path.join(store, 'latest.json'),
      JSON.stringify({ version: 1, createdAt: '2026-11-26T12:00:00.000Z', strategies: [lane('worktree', 2 ** 20), lane('clone', 2 ** 40, 'full'), lane('clone', 2 ** 20, 'blobless')] }),
    );
    const tight = await repo.cli(['policy', 'explain', 'forks', '--json'], { env: NO_DOCKER });
    expect(tight.code).toBe(4);
    const d = JSON.parse(tight.stdout) as { ok: boolean; unmet: string[]; facts: { diskPerLane: Record<string, number> } };
    expect(d.ok).toBe(false);
    expect(d.facts.diskPerLane).toEqual({ worktree: 2 ** 20, clone: 2 ** 40 });
    expect(d.unmet[0]).toMatch(/^own-remote: only container or clone gives it, and .*clone is ruled out \(4 lanes x 1024\.0 GiB \(measured\)/);
    // With blobless clones (measured small) the same workload fits.
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), `${CONFIG}clone:\n  mode: blobless\n`);
    expect((await repo.cli(['policy', 'explain', 'forks'], { env: NO_DOCKER })).stdout).toMatch(/^workload forks: clone$/m);
  });

  it('project rules apply after the built-in ones, and names are checked', async () => {
    const docs = await repo.cli(['policy', 'explain', 'docs'], { env: NO_DOCKER });
    expect(docs.code).toBe(0);
    expect(docs.stdout).toMatch(/^workload docs: clone$/m);
    expect(docs.stdout).toMatch(/\[policy\[1\]\] chooses clone \(docs builds write into the tree\)/);
    // A project rule that cannot serve the workload's needs is an error, not overridden.
    await fsp.writeFile(path.join(repo.root, 'isolane.yaml'), CONFIG.replace('agents: 4', 'agents: 2'));
    const r = await repo.cli(['policy', 'explain', 'forks'], { env: NO_DOCKER });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^workload forks: no strategy can serve it here$/m);
    expect(r.stdout).toMatch(/\[policy\[0\]\] chooses worktree, which cannot serve this workload/);
    expect(r.stdout).toMatch(/cannot be met:\n {2}- worktree does not give own-remote/);
    const typo = await repo.cli(['policy', 'explain', 'fork']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no workload named fork .*\n.*did you mean forks\?/);
    const bad = await repo.cli(['up', 'x', '--workload', '../etc']);
    expect(bad.code).toBe(2);
    expect(await exists(path.join(repo.lanesRoot, 'x'))).toBe(false);
  });
});
