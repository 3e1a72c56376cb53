/**
 * Every strategy the registry offers keeps the contract: each has its test file,
 * test/strategies/<name>.test.ts, and that file runs the contract suite for it. A strategy added
 * to the registry without its contract tests fails here.
 */
import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../../strategies/index.js';

const testFile = (name: string): string => fileURLToPath(new URL(`./${name}.test.ts`, import.meta.url));

describe('the strategy registry', () => {
  it('offers at least the three documented strategies', () => {
    expect(STRATEGY_NAMES).toEqual(expect.arrayContaining(['worktree', 'clone', 'container']));
  });

  for (const name of STRATEGY_NAMES) {
    it(`${name}: test/strategies/${name}.test.ts runs contractSuite('${name}')`, async () => {
      const text = await fsp.readFile(testFile(name), 'utf8').catch(() => undefined);
      expect(text, `test/strategies/${name}.test.ts is missing: every strategy runs the contract suite (test/contract/suite.ts)`).toBeDefined();
      expect(text, `test/strategies/${name}.test.ts does not call contractSuite('${name}', …)`).toMatch(new RegExp(`\\bcontractSuite\\(\\s*(['"\`])${name}\\1`));
    });
  }
});
