import { describe, expect, it } from 'vitest';
import { assertLaneName, assertUserRevision } from '../../src/git/names.js';
import { isIsolaneError } from '../../src/errors.js';

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isIsolaneError(e) ? e.code : 'not-isolane-error';
  }
};

describe('lane names', () => {
  it.each(['a', 'fix-login', '0day', 'a'.repeat(40), 'a-b-c-1'])('accepts %j', (name) => {
    expect(codeOf(() => assertLaneName(name))).toBeUndefined();
  });
  it.each(['', 'A', 'a b', '--upload-pack=x', '../x', 'x/y', '-x', 'a'.repeat(41), 'é', 'a_b', 'a.b', 'x\n'])('rejects %j', (name) => {
    expect(codeOf(() => assertLaneName(name))).toBe('USAGE');
  });
});

describe('user revisions', () => {
  it.each(['main', 'v1.2.0', 'HEAD~2', 'origin/main', 'main@{upstream}', 'a1b2c3d', 'feature/x^'])('accepts %j', (rev) => {
    expect(codeOf(() => assertUserRevision(rev))).toBeUndefined();
  });
  it.each(['--upload-pack=touch /tmp/p', '-x', 'HEAD:README.md', 'a b', 'main..dev', '@{-1}', '', 'a\0b'])('rejects %j', (rev) => {
    expect(codeOf(() => assertUserRevision(rev))).toBe('BAD_REF');
  });
});
