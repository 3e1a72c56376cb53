import { createHash } from 'node:crypto';
import path from 'node:path';

/** PostgreSQL's identifier limit, in bytes. */
export const MAX_NAME_BYTES = 63;
/** A lane database's prefix (isolane.yaml `database.prefix`). */
export const DB_PREFIX = /^[a-z][a-z0-9_]{0,19}$/;
/** Every name isolane gives a lane database: lower-case ASCII, so quoting never changes it. */
export const LANE_DB_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** A database isolane copies from or connects to (a URL's database, `database.template`). */
export const SOURCE_DB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}$/;
const HASH_CHARS = 10;

/**
 * The repository's default prefix: its directory name, lower-cased, anything but a-z and 0-9
 * as `_`, at most 20 characters; `isolane` when nothing of it is left.
 */
export function defaultPrefix(repoRoot: string): string {
  const slug = path.basename(repoRoot).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^[^a-z]+/, '').slice(0, 20).replace(/_+$/, '');
  return DB_PREFIX.test(slug) ? slug : 'isolane';
}

/**
 * `<prefix>_<lane with - as _>_<hash>`, the lane part cut so the whole fits 63 bytes. The hash
 * (of the repository id and the lane) is always there: two repositories of the same name on
 * one server, or two long lane names cut to the same part, still get different names.
 */
export function laneDatabaseName(prefix: string, repoId: string, lane: string): string {
  const hash = createHash('sha256').update(`${repoId}\0${lane}`).digest('hex').slice(0, HASH_CHARS);
  const room = MAX_NAME_BYTES - prefix.length - HASH_CHARS - 2;
  const part = lane.replaceAll('-', '_').slice(0, room).replace(/_+$/, '');
  return `${prefix}_${part}_${hash}`;
}

/** Whether `name` is one isolane derives for this lane of this repository (under any prefix). */
export function isLaneDatabaseName(name: string, repoId: string, lane: string): boolean {
  if (!LANE_DB_NAME.test(name) || Buffer.byteLength(name) > MAX_NAME_BYTES) return false;
  // The prefix may hold `_` itself: try every split.
  for (let i = name.indexOf('_'); i > 0; i = name.indexOf('_', i + 1)) {
    const prefix = name.slice(0, i);
    if (DB_PREFIX.test(prefix) && laneDatabaseName(prefix, repoId, lane) === name) return true;
  }
  return false;
}
