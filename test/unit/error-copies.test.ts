/**
 * The CLI's bundles each carry a copy of src/errors.ts (scripts/bundle-cli.mjs): an error thrown
 * by one copy's code is caught by another's. `instanceof` must still tell the classes apart.
 */
import { describe, expect, it } from 'vitest';
import type * as errors from '../../src/errors.js';
import { GitError, IsolaneError, isIsolaneError, WouldLoseWorkError } from '../../src/errors.js';
import { SnapshotError } from '../../src/snapshot/errors.js';

describe('error classes across copies of their module', () => {
  it('a second copy of the module is a distinct module, and instanceof still holds by class', async () => {
    const second = '../../src/errors.ts?second-copy'; // a query makes it another module instance
    const copy = (await import(/* @vite-ignore */ second)) as typeof errors;
    expect(copy.GitError).not.toBe(GitError); // really another copy, or this test proves nothing
    const fromCopy = new copy.GitError(['status'], '/x', 1, 'fatal: no');
    expect(fromCopy instanceof GitError).toBe(true);
    expect(fromCopy instanceof IsolaneError).toBe(true);
    expect(fromCopy instanceof WouldLoseWorkError).toBe(false);
    expect(new copy.WouldLoseWorkError('WOULD_LOSE_WORK', 'x') instanceof WouldLoseWorkError).toBe(true);
    expect(new copy.WouldLoseWorkError('WOULD_LOSE_WORK', 'x') instanceof GitError).toBe(false);
    expect(new GitError(['status'], '/x', 1, '') instanceof copy.GitError).toBe(true);
    expect(isIsolaneError(new copy.IsolaneError('USAGE', 'x'), 'USAGE')).toBe(true);
  });

  it('keeps what is not one of them out: plain errors, look-alikes without the brand, subclasses by their own name', () => {
    expect(new Error('x') instanceof IsolaneError).toBe(false);
    expect({ name: 'GitError', code: 'GIT_FAILED' } instanceof GitError).toBe(false);
    class GitError2 extends IsolaneError {}
    expect(new GitError2('GIT_FAILED', 'x') instanceof GitError).toBe(false);
    expect(new SnapshotError('BUSY', 'x') instanceof IsolaneError).toBe(true);
    expect(new SnapshotError('BUSY', 'x') instanceof GitError).toBe(false);
    expect((null as unknown) instanceof IsolaneError).toBe(false);
  });
});
