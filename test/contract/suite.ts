/**
 * The contract every strategy keeps, as one parameterised suite run through isolane's public
 * surfaces (the CLI and the library), asserting what can be observed: directories, branches at
 * commits, files present or absent, exit codes, JSON output. Each strategy's test file,
 * test/strategies/<name>.test.ts, runs it (`await contractSuite('<name>', opts)`) and adds the
 * cases particular to that strategy; test/strategies/registry.test.ts makes sure every
 * strategy of the registry has one.
 *
 * Each case has a repository of its own (the `t` fixture, fixture.ts), so the cases run
 * concurrently. Cases tagged `slow` (the kill -9 loops and the races) run in the full suite
 * only; the rest also run in `npm run test:fast`. Known gaps of a strategy run as expected
 * failures (ContractOptions.knownGaps).
 */
import { promises as fsp } from 'node:fs';
import Docker from 'dockerode';
import { describe } from 'vitest';
import { canMount } from '../../src/snapshot/privilege.js';
import { dockerAvailable } from '../helpers/docker.js';
import { concurrencyCases } from './concurrency.js';
import type { Contract, ContractOptions } from './fixture.js';
import { killCases } from './kills.js';
import { lifecycleCases } from './lifecycle.js';
import { stateCases } from './states.js';
import { workCases } from './work.js';

export type { ContractGap, ContractOptions } from './fixture.js';

/** May this process mount (the snapshot strategy's kernel backend)? Says why not; under CI=true it must. */
async function mountAvailable(what: string): Promise<boolean> {
  if (await canMount()) return true;
  const why = `${what}: this process may not mount (not root, no CAP_SYS_ADMIN)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${why}`);
  process.stderr.write(`skipping ${why}\n`);
  return false;
}

/**
 * Registers the contract suite for `strategy`. Resolves once the strategy's needs are probed:
 * a strategy that needs an engine none answers is skipped with the reason printed (a failure
 * under CI=true).
 */
export async function contractSuite(strategy: string, opts: ContractOptions = {}): Promise<void> {
  const available = opts.needs === 'docker' ? await dockerAvailable(`the ${strategy} contract`) : opts.needs === 'mount' ? await mountAvailable(`the ${strategy} contract`) : true;
  const c: Contract = {
    strategy,
    refs: opts.refs ?? 'own',
    workdir: opts.workdir,
    config: opts.config ?? '',
    concurrentLanes: opts.concurrentLanes ?? 8,
    kills: opts.kills ?? 25,
    races: opts.races ?? 20,
    knownGaps: opts.knownGaps ?? [],
    removeByHand: opts.removeByHand ?? ((dir) => fsp.rm(dir, { recursive: true, force: true })),
    docker: opts.needs === 'docker' ? new Docker({ socketPath: '/var/run/docker.sock' }) : undefined,
  };
  describe.runIf(available).concurrent(`the ${strategy} strategy keeps the contract`, () => {
    lifecycleCases(c);
    stateCases(c);
    workCases(c);
    killCases(c);
    concurrencyCases(c);
  });
}
