import type pg from 'pg';
import { IsolaneError } from '../../errors.js';
import { connectMaintenance, sqlState, type ServerSource } from './server.js';
import { redact, withDatabase } from './url.js';

/** One session on a database, as pg_stat_activity shows it (other users' details may be hidden). */
export interface Session {
  readonly pid: number;
  readonly user: string | null;
  readonly application: string | null;
  readonly client: string | null;
  readonly since: string | null;
}

async function withClient<T>(server: ServerSource, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectMaintenance(server);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const exists = async (c: pg.Client, name: string): Promise<boolean> => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;

/**
 * Checks, changing nothing, that a lane database can be made: the server answers, the source
 * exists, the role may create databases, and the lane's name is free (a database of that name
 * that isolane did not record is never taken over, nor dropped later).
 */
export async function checkPostgres(server: ServerSource, source: string, name: string): Promise<void> {
  await withClient(server, async (c) => {
    if (!(await exists(c, source))) {
      throw new IsolaneError('DATABASE_FAILED', `${server.from}: the source database ${source} does not exist on ${redact(server.url)}`, {
        hint: 'create it, or name an existing one in the URL or database.template',
      });
    }
    const role = await c.query<{ may: boolean; name: string }>('SELECT rolcreatedb OR rolsuper AS may, rolname AS name FROM pg_roles WHERE rolname = current_user');
    if (role.rows[0]?.may === false) {
      throw new IsolaneError('DATABASE_FAILED', `${server.from}: role ${role.rows[0].name} may not create databases on ${redact(server.url)}`, {
        hint: `as a superuser: ALTER ROLE ${c.escapeIdentifier(role.rows[0].name)} CREATEDB;`,
      });
    }
    if (await exists(c, name)) {
      throw new IsolaneError('DATABASE_FAILED', `a database named ${name} already exists on ${redact(server.url)}, and no lane of isolane's records holds it`, {
        hint: `an earlier lane of this name may have left it behind: if it holds nothing you need, DROP DATABASE ${c.escapeIdentifier(name)}; then retry`,
      });
    }
  });
}

/** CREATE DATABASE <name> TEMPLATE <source>; explains the error when others are connected to the source. */
export async function createPostgres(server: ServerSource, source: string, name: string): Promise<void> {
  await withClient(server, async (c) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(source)}`);
        return;
      } catch (e) {
        if (sqlState(e) !== '55006') throw failed(`could not create database ${name} from ${source} on ${redact(server.url)}`, e);
        const sessions = await sessionsOn(c, source);
        // No session to show: a brief one (autovacuum, a health check) that PostgreSQL waited
        // 5 s for already; a second look settles it.
        if (sessions.length === 0 && attempt < 3) continue;
        throw sourceBusy(server, source, sessions, e);
      }
    }
  });
}

/** Drops the lane database; one that is not there is fine (a release may run twice). */
export async function dropPostgres(server: ServerSource, name: string): Promise<void> {
  await withClient(server, async (c) => {
    const version = Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num ?? 0);
    try {
      if (version >= 130000) {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      } else {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)}`);
      }
    } catch (e) {
      throw failed(`could not drop database ${name} on ${redact(server.url)}`, e);
    }
  });
}

/** The lane's own URL: the server's, with the lane database. */
export function laneUrl(server: ServerSource, name: string): string {
  return withDatabase(server.url, name);
}

async function sessionsOn(c: pg.Client, database: string): Promise<Session[]> {
  const result = await c.query<Session>(
    `SELECT pid, usename AS "user", application_name AS application, client_addr::text AS client, backend_start::text AS since
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY backend_start LIMIT 20`,
    [database],
  );
  return result.rows;
}

function describe(s: Session): string {
  const who = [s.user ? `user ${s.user}` : undefined, s.application ? `application ${JSON.stringify(s.application)}` : undefined, s.client ? `from ${s.client}` : 'over a local socket', s.since ? `since ${s.since}` : undefined];
  return `pid ${s.pid} (${who.filter(Boolean).join(', ')})`;
}

function sourceBusy(server: ServerSource, source: string, sessions: readonly Session[], cause: unknown): IsolaneError {
  const listed = sessions.length > 0 ? `: ${sessions.map(describe).join('; ')}` : ' (none visible to this role: a prepared transaction, or sessions of other users)';
  return new IsolaneError('DATABASE_FAILED', `cannot copy database ${source} for the lane: other sessions are connected to it${listed}`, {
    hint:
      `PostgreSQL copies a database only while nobody is connected to it. Stop those sessions (a dev server, a psql, an IDE), or end them with ` +
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${source.replaceAll("'", "''")}' AND pid <> pg_backend_pid(); ` +
      `or copy lanes from a database nobody uses: make one once (CREATE DATABASE ${source}_template TEMPLATE ${source}, while nobody is connected), then set database.template: ${source}_template. Nothing was made.`,
    cause,
    data: { url: redact(server.url), source, sessions },
  });
}

function failed(what: string, e: unknown): IsolaneError {
  const state = sqlState(e);
  return new IsolaneError('DATABASE_FAILED', `${what}: ${e instanceof Error ? e.message : String(e)}${state ? ` (SQLSTATE ${state})` : ''}`, { cause: e });
}
