import type pg from 'pg';
import { IsolaneError } from '../../errors.js';
import { redact, withDatabase } from './url.js';

/** How long isolane waits for a server to answer, and for one statement. */
export const CONNECT_TIMEOUT_MS = 10_000;
export const STATEMENT_TIMEOUT_MS = 10 * 60_000;

/** Where a server URL came from, for messages: `isolane.yaml:7:5 database.url` or `DATABASE_URL`. */
export interface ServerSource {
  readonly url: URL;
  readonly from: string;
}

/**
 * A connection to the server's maintenance database (`postgres`, else `template1`), never to
 * the database lanes are copied from: a session there would itself block CREATE DATABASE.
 */
export async function connectMaintenance(server: ServerSource): Promise<pg.Client> {
  try {
    return await connect(withDatabase(server.url, 'postgres'));
  } catch (e) {
    if (sqlState(e) !== '3D000') throw unreachable(server, e);
  }
  try {
    return await connect(withDatabase(server.url, 'template1'));
  } catch (e) {
    throw unreachable(server, e);
  }
}

async function connect(connectionString: string): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({
    connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'isolane',
  });
  // An error on an idle connection (the server going away) must not crash isolane.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

/** PostgreSQL's SQLSTATE of an error (e.g. 55006), or undefined for errors that are not the server's. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string } | undefined;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running, on that host and port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case '28P01':
    case '28000':
      return `the server refused the login: ${err.message ?? ''}`;
    default:
      return /timeout/i.test(err?.message ?? '') ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s` : (err?.message ?? String(e));
  }
}

function unreachable(server: ServerSource, e: unknown): IsolaneError {
  return new IsolaneError('DATABASE_FAILED', `${server.from}: the PostgreSQL server at ${redact(server.url)} does not answer: ${reason(e)}`, {
    hint: 'start the server or fix the URL (database.url in isolane.yaml, else DATABASE_URL); nothing was made',
    cause: e,
    data: { url: redact(server.url) },
  });
}
