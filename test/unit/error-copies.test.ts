/**
 * The CLI's bundles each carry a copy of src/errors.ts (scripts/bundle-cli.mjs): an error thrown
 * by one copy's code is caught by another's. `instanceof` must still tell the classes apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
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

  it('matches a copy whose class a bundler renamed, by the class it declares itself', () => {
    // esbuild renames a class when two modules of one bundle declare the name (GitError2).
    const renamed = class GitError2 extends IsolaneError {
      static override readonly errorClass: string = 'GitError';
    };
    expect(new renamed('GIT_FAILED', 'x') instanceof GitError).toBe(true);
    expect(new renamed('GIT_FAILED', 'x') instanceof WouldLoseWorkError).toBe(false);
  });

  it('every error class in the source declares its own errorClass, as its name', () => {
    const files = ['src', 'strategies'].flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`));
    const classes = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends (\w+Error) \{\n(.*)$/gm)].map((m) => ({ file, name: m[1], first: m[3] })),
    );
    expect(classes.map((c) => c.name)).toEqual(expect.arrayContaining(['GitError', 'SnapshotError', 'SetupFailedError', 'CommandNotFoundError']));
    for (const c of classes) expect(c.first, `${c.file}: ${c.name}`).toBe(`  static override readonly errorClass: string = '${c.name}';`);
  });
});
