import { IsolaneError } from '../errors.js';

/** Lane slugs: lower-case ASCII, digits and dashes; they become branch, directory and container names. */
export const LANE_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * A configured branch prefix: ref-safe path segments, each starting with a letter or digit, e.g.
 * `isolane/` or `agents/lane-`. Never `-`: `-` + lane `m` is `-m`, an option to git.
 */
export const BRANCH_PREFIX = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]*\/)*(?:[A-Za-z0-9][A-Za-z0-9_-]*)?$/;

/**
 * What a user may pass as a revision (`--from`): names, `@{upstream}`, `~`, `^`. Anything that
 * starts with `-` or holds spaces, colons or control characters is refused before git sees it.
 */
const USER_REVISION = /^[A-Za-z0-9_@{}^~./+-]{1,255}$/;

export function assertLaneName(name: string): void {
  if (!LANE_NAME.test(name)) {
    throw new IsolaneError('USAGE', `invalid lane name ${JSON.stringify(name)}`, {
      hint: 'use 1-40 characters of a-z, 0-9 and "-", starting with a letter or digit (e.g. fix-login)',
    });
  }
}

export function assertUserRevision(rev: string): void {
  if (!USER_REVISION.test(rev) || rev.startsWith('-') || rev.includes('..') || rev.includes('@{-')) {
    throw new IsolaneError('BAD_REF', `not a valid revision: ${JSON.stringify(rev)}`, {
      hint: 'pass a branch, tag or commit, e.g. --from main or --from v1.2.0',
    });
  }
}

export function laneBranch(prefix: string, lane: string): string {
  return `${prefix}${lane}`;
}

export function headsRef(branch: string): string {
  return `refs/heads/${branch}`;
}

/**
 * A full ref name git itself would make (the rules of `git check-ref-format`), under refs/. Any
 * such name is a lane's to choose, so nothing else may be assumed of it (unicode, `#`, `,` ...).
 */
export function isGitRefName(name: string): boolean {
  if (!name.startsWith('refs/') || name.length > 1024 || name.endsWith('/') || name.endsWith('.')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\//.test(name)) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}
