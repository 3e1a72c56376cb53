import { SOURCE_DB_NAME } from './names.js';

/** A PostgreSQL server URL, checked: `postgres://` or `postgresql://`, with a database to copy. */
export interface ServerUrl {
  readonly url: URL;
  /** The URL's database (decoded). */
  readonly database: string;
}

const MAX_URL = 2048;

/** Pure: the URL, or what is wrong with it (never echoing its password). */
export function parseServerUrl(text: string): ServerUrl | string {
  if (text.length > MAX_URL) return `expected a URL of at most ${MAX_URL} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected a URL such as postgres://user:password@127.0.0.1:5432/app';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `expected a postgres:// URL, not ${url.protocol}//`;
  if (!url.hostname && !url.searchParams.get('host')) return 'expected a host (postgres://user@host:5432/app)';
  let database: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    return 'expected a database name after the host';
  }
  if (!database) return 'expected a database name after the host (postgres://user@host:5432/app): the database lanes are copied from';
  if (!SOURCE_DB_NAME.test(database)) return `expected a database name of letters, digits, _ . $ and - (at most 63), not ${JSON.stringify(database)}`;
  return { url, database };
}

/** The same server and credentials, on another database. */
export function withDatabase(url: URL, database: string): string {
  const copy = new URL(url.href);
  copy.pathname = `/${encodeURIComponent(database)}`;
  return copy.href;
}

/** For messages: the URL without its password. */
export function redact(url: URL | string): string {
  let copy: URL;
  try {
    copy = new URL(typeof url === 'string' ? url : url.href);
  } catch {
    return '(an unparsable URL)';
  }
  if (copy.password) copy.password = '***';
  return copy.href;
}
