import { describe, expect, it } from 'vitest';
import { configSchema, type PolicyRule } from '../../src/config/schema.js';
import { decide, type NamedWorkload, type PolicyFacts } from '../../src/policy/evaluate.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const host: PolicyFacts = { probes: { worktree: { available: true }, clone: { available: true }, container: { available: true }, snapshot: { available: true } }, withheld: {}, trackedFiles: 10, cores: 2, freeDiskBytes: 100 * GiB, diskPerLane: {}, benchedAt: undefined };
const noDocker: PolicyFacts = { ...host, probes: { ...host.probes, container: { available: false, reason: 'no Docker engine answered at unix socket /var/run/docker.sock' } } };

function workload(name: string, traits: Record<string, unknown> = {}): NamedWorkload {
  const parsed = configSchema.parse({ workloads: { [name]: traits } }).workloads[name];
  if (!parsed) throw new Error('unreachable');
  return { name, ...parsed };
}
const rules = (...list: unknown[]): PolicyRule[] => configSchema.parse({ policy: list }).policy;

describe('policy: decide', () => {
  it('gives trusted everyday work a worktree, and says why', () => {
    const d = decide(workload('dev', { agents: 5 }), [], host);
    expect(d).toMatchObject({ ok: true, strategy: 'worktree' });
    expect(d.reasons.map((r) => r.text).join('\n')).toMatch(/share one object store/);
    expect(d.reasons.map((r) => r.text).join('\n')).toMatch(/no `isolane bench` results/);
  });

  it('follows the decision matrix: own remote -> clone, untrusted or isolation needs -> container', () => {
    expect(decide(workload('w', { needs: ['own-remote'] }), [], host)).toMatchObject({ ok: true, strategy: 'clone' });
    expect(decide(workload('w', { needs: ['own-object-store'] }), [], host)).toMatchObject({ ok: true, strategy: 'clone' });
    expect(decide(workload('w', { trust: 'untrusted' }), [], host)).toMatchObject({ ok: true, strategy: 'container' });
    expect(decide(workload('w', { needs: ['network-isolation'] }), [], host)).toMatchObject({ ok: true, strategy: 'container' });
    // A container lane has a remote of its own too: the stronger need decides, where host lanes cannot be capped.
    const uncapped = 'isolane.yaml sets no limits or budget, so host lanes run uncapped';
    const noCaps = { ...host, withheld: { worktree: { 'resource-limits': uncapped }, clone: { 'resource-limits': uncapped }, snapshot: { 'resource-limits': uncapped } } };
    expect(decide(workload('w', { needs: ['own-remote', 'resource-limits'] }), [], noCaps)).toMatchObject({ ok: true, strategy: 'container' });
    expect(decide(workload('w', { needs: ['resource-limits'] }), [], noCaps)).toMatchObject({ ok: true, strategy: 'container' });
    // With limits set and cgroups at work, host lanes are capped too: the built-in rule still prefers
    // a container, but without an engine a capped worktree serves, and a clone serves its own remote.
    expect(decide(workload('w', { needs: ['resource-limits'] }), [], host)).toMatchObject({ ok: true, strategy: 'container' });
    const noEngine = { ...host, probes: { ...host.probes, container: { available: false, reason: 'no Docker engine' } } };
    expect(decide(workload('w', { needs: ['resource-limits'] }), [], noEngine)).toMatchObject({ ok: true, strategy: 'worktree' });
    expect(decide(workload('w', { needs: ['resource-limits'] }), [], { ...noCaps, probes: noEngine.probes })).toMatchObject({ ok: false });
    expect(decide(workload('w', { needs: ['own-remote', 'resource-limits'] }), [], host)).toMatchObject({ ok: true, strategy: 'clone' });
  });

  it('gives many trusted agents on a large tree snapshot lanes, where the host can mount; else worktrees', () => {
    const large = { ...host, trackedFiles: 50_000 };
    const d = decide(workload('w', { agents: 8 }), [], large);
    expect(d).toMatchObject({ ok: true, strategy: 'snapshot' });
    expect(d.reasons.at(-1)?.text).toMatch(/costs the same at any tree size/);
    // a small tree, few agents, untrusted code or no way to mount: not snapshot
    expect(decide(workload('w', { agents: 8 }), [], host)).toMatchObject({ strategy: 'worktree' });
    expect(decide(workload('w', { agents: 2 }), [], large)).toMatchObject({ strategy: 'worktree' });
    expect(decide(workload('w', { agents: 8, trust: 'untrusted' }), [], large)).toMatchObject({ strategy: 'container' });
    const noMount = { ...large, probes: { ...large.probes, snapshot: { available: false, reason: 'no copy-on-write backend works here' } } };
    const fallback = decide(workload('w', { agents: 8 }), [], noMount);
    expect(fallback).toMatchObject({ ok: true, strategy: 'worktree' });
    expect(fallback.reasons.map((r) => r.text).join('\n')).toMatch(/not snapshot: cannot run here: no copy-on-write backend works here/);
  });

  it('is an error naming the need when no strategy can meet it, never a fall-back', () => {
    const d = decide(workload('review', { needs: ['network-isolation'] }), [], noDocker);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.unmet.join('\n')).toMatch(/^network-isolation: only container gives it, and container is ruled out \(cannot run here: no Docker engine .*docker\.sock\)/);
    const untrusted = decide(workload('x', { trust: 'untrusted' }), [], noDocker);
    expect(untrusted.ok === false && untrusted.unmet[0]).toMatch(/^trust: untrusted: only container/);
    // Each need can be met, but not both by one strategy.
    const both = decide(workload('y', { needs: ['own-object-store', 'network-isolation'] }), [], host);
    expect(both.ok === false && both.unmet[0]).toBe('no one strategy meets all of: own-object-store, network-isolation');
  });

  it('rules clones out when the measured disk per lane times the agents does not fit', () => {
    const tight: PolicyFacts = { ...host, freeDiskBytes: 1 * GiB, diskPerLane: { worktree: 30 * MiB, clone: 200 * MiB, container: 31 * MiB }, benchedAt: '2026-11-26T12:00:00Z' };
    const d = decide(workload('w', { needs: ['own-remote'], agents: 8 }), [], tight);
    // 8 x 200 MiB > 90% of 1 GiB: clone is out; a container gives own-remote at a borrowing clone's cost.
    expect(d).toMatchObject({ ok: true, strategy: 'container' });
    expect(d.ruledOut.find((r) => r.strategy === 'clone')?.why.join()).toMatch(/8 lanes x 200\.0 MiB \(measured\) = 1600\.0 MiB, more than 90% of the 1024\.0 MiB free/);
    expect(decide(workload('w', { needs: ['own-remote'], agents: 4 }), [], tight)).toMatchObject({ ok: true, strategy: 'clone' });
    const store = decide(workload('w', { needs: ['own-object-store'], agents: 8 }), [], tight);
    expect(store.ok === false && store.unmet[0]).toMatch(/^own-object-store: only clone gives it, and clone is ruled out \(8 lanes/);
  });

  it('a reference clone has no object store of its own', () => {
    const d = decide(workload('w', { needs: ['own-object-store'] }), [], { ...host, withheld: { clone: { 'own-object-store': 'clone.mode reference borrows objects from the main repository: own-object-store needs mode full or blobless' } } });
    expect(d.ok === false && d.unmet[0]).toMatch(/clone\.mode reference borrows objects/);
  });

  it('applies project rules in order after the built-in ones: the last match chooses', () => {
    const policy = rules(
      { when: { bound: 'cpu' }, strategy: 'container', because: 'limits keep builds from starving each other' },
      { when: { workload: 'docs' }, strategy: 'worktree' },
    );
    const cpu = decide(workload('ci', { bound: 'cpu', agents: 4 }), policy, host);
    expect(cpu).toMatchObject({ ok: true, strategy: 'container' });
    expect(cpu.reasons.at(-1)).toEqual({ source: 'policy[0]', text: 'chooses container (limits keep builds from starving each other)' });
    expect(cpu.reasons.map((r) => r.text)).toContain('4 cpu-bound agents on 2 cores: each gets about 0.50 of a core');
    expect(decide(workload('docs', { bound: 'cpu' }), policy, host)).toMatchObject({ ok: true, strategy: 'worktree' });
    // A rule may depend on the host: with no engine this one does not match.
    const onDocker = rules({ when: { available: 'container' }, strategy: 'container' });
    expect(decide(workload('w'), onDocker, host)).toMatchObject({ strategy: 'container' });
    expect(decide(workload('w'), onDocker, noDocker)).toMatchObject({ strategy: 'worktree' });
  });

  it('a project rule that cannot be honoured is an error, not overridden', () => {
    const d = decide(workload('agents', { trust: 'untrusted' }), rules({ when: {}, strategy: 'worktree' }), host);
    expect(d.ok).toBe(false);
    expect(d.ok === false && d.unmet[0]).toMatch(/^worktree runs the lane's tools and git hooks on the host/);
  });

  it('is pure: the same inputs give the same decision', () => {
    const w = workload('w', { needs: ['own-remote'], agents: 3 });
    expect(decide(w, [], host)).toEqual(decide(w, [], host));
  });
});

describe('policy: config', () => {
  it('rejects unknown needs and bad workload names', () => {
    expect(() => configSchema.parse({ workloads: { w: { needs: ['gpu'] } } })).toThrow();
    expect(() => configSchema.parse({ workloads: { 'Bad Name': {} } })).toThrow();
    expect(() => configSchema.parse({ policy: [{ when: { trust: 'maybe' }, strategy: 'clone' }] })).toThrow();
    expect(() => configSchema.parse({ policy: [{ strategy: 'vm' }] })).toThrow();
    expect(configSchema.parse({ strategy: 'auto' }).strategy).toBe('auto');
  });
});
