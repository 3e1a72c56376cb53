import path from 'node:path';
import type { Strategy } from '../../../strategies/strategy.js';
import type { LaneRecord } from '../../engine/journal.js';
import type { Project } from '../../engine/project.js';
import { IsolaneError } from '../../errors.js';
import { laneEnvironment } from '../env/lane-env.js';
import type { LaneResources } from '../../lane/resources.js';
import { runProviderCommand, urlFromOutput } from './command.js';
import { migrateLane } from './migrate.js';
import { defaultPrefix, isLaneDatabaseName, laneDatabaseName } from './names.js';
import { checkPostgres, createPostgres, dropPostgres, laneUrl } from './postgres.js';
import type { ServerSource } from './server.js';
import { copySqlite, sqliteSource } from './sqlite.js';
import { parseServerUrl } from './url.js';

type DatabaseConfig = NonNullable<Project['config']['database']>;
type DatabaseRecord = NonNullable<LaneResources['database']>;

const withDatabase = (record: LaneRecord, database: DatabaseRecord): LaneRecord => ({ ...record, resources: { ...record.resources, database } });

/**
 * Phase reserve: decides the lane database's name (and, for postgres and sqlite, its URL) and
 * checks it can be made, making nothing. The record then names it before it exists, so an
 * interrupted `up` is cleaned up by the next `up` or `down`.
 */
export async function reserveDatabase(project: Project, record: LaneRecord): Promise<LaneRecord> {
  const config = project.config.database;
  if (!config) return record;
  const name = laneDatabaseName(config.prefix ?? defaultPrefix(project.repo.root), project.repo.id, record.lane);
  switch (config.provider) {
    case 'postgres': {
      const server = serverOf(project, config);
      const source = config.template ?? server.database;
      await checkPostgres(server, source, name);
      return withDatabase(record, { provider: 'postgres', name, url: laneUrl(server, name) });
    }
    case 'sqlite': {
      const source = await sqliteSource(project, config.path);
      const strategy = await project.strategy(record.strategy);
      // As commands in the lane see it (a container mounts the lane elsewhere).
      return withDatabase(record, { provider: 'sqlite', name, url: `file:${path.posix.join(strategy.workdir ?? record.path, source.rel)}` });
    }
    case 'command':
      return withDatabase(record, { provider: 'command', name });
  }
}

/** Phase prepare: makes the lane database (its migration runs later: migrateDatabase). */
export async function prepareDatabase(project: Project, record: LaneRecord): Promise<LaneRecord> {
  const config = project.config.database;
  const db = record.resources?.database;
  if (!config || !db) return record;
  let made = record;
  switch (config.provider) {
    case 'postgres': {
      const server = serverOf(project, config);
      await createPostgres(server, config.template ?? server.database, db.name);
      break;
    }
    case 'sqlite':
      await copySqlite(project, await sqliteSource(project, config.path), record.path);
      break;
    case 'command': {
      const out = await runProviderCommand('create', commandRun(project, record, config.create, db.name));
      made = withDatabase(record, { ...db, url: urlFromOutput(out) });
      break;
    }
  }
  return made;
}

/** Phase prepare, once ignored files and env files are in the lane: `database.migrate` in the lane. */
export async function migrateDatabase(project: Project, record: LaneRecord, strategy: Strategy): Promise<void> {
  const migrate = project.config.database?.migrate;
  if (migrate && record.resources?.database) await migrateLane(project, record, strategy, migrate);
}

/**
 * Phase release: drops what the record names, whether or not it was made (a database that is
 * not there is fine). A record is input too: only a name isolane derives for this very lane of
 * this repository is ever dropped. Returns what could not be released.
 */
export async function releaseDatabase(project: Project, record: LaneRecord): Promise<string[]> {
  const db = record.resources?.database;
  if (!db) return [];
  if (!isLaneDatabaseName(db.name, project.repo.id, record.lane)) {
    return [`database: the record names ${JSON.stringify(db.name)}, not a database isolane makes for lane ${record.lane}: left alone`];
  }
  try {
    switch (db.provider) {
      case 'postgres': {
        // The server the lane was made on, whatever isolane.yaml or DATABASE_URL say today.
        const server = db.url ? parseServerUrl(db.url) : 'no URL recorded';
        if (typeof server === 'string') return [`database ${db.name}: cannot drop it: ${server}`];
        await dropPostgres({ url: server.url, from: `lane ${record.lane}'s database` }, db.name);
        return [];
      }
      case 'sqlite':
        return []; // the copy lives in the lane's checkout, and went with it
      case 'command': {
        const config = project.config.database;
        if (config?.provider !== 'command') return [`database ${db.name}: isolane.yaml no longer has a database.drop command; drop it yourself`];
        await runProviderCommand('drop', commandRun(project, record, config.drop, db.name));
        return [];
      }
      default:
        return [`database ${db.name}: unknown provider ${JSON.stringify(db.provider)}: left alone`];
    }
  } catch (e) {
    const how = db.provider === 'postgres' ? `DROP DATABASE "${db.name}" WITH (FORCE);` : 'database.drop';
    return [`database ${db.name} (${db.provider}) was not dropped: ${e instanceof Error ? e.message : String(e)}; drop it by hand (${how})`];
  }
}

/** The server and source database from isolane.yaml's url, else DATABASE_URL of isolane's environment. */
export function serverOf(project: Project, config: Extract<DatabaseConfig, { provider: 'postgres' }>): ServerSource & { database: string } {
  const from = config.url !== undefined ? project.where(['database', 'url']) : 'DATABASE_URL';
  const text = config.url ?? project.ctx.env.DATABASE_URL;
  if (text === undefined || text === '') {
    throw new IsolaneError('CONFIG', `${project.where(['database', 'provider'])}: postgres needs a server, and neither database.url nor DATABASE_URL names one`, {
      hint: 'set database.url in isolane.yaml (postgres://user:password@host:5432/app), or export DATABASE_URL',
    });
  }
  const parsed = parseServerUrl(text);
  if (typeof parsed === 'string') throw new IsolaneError('CONFIG', `${from}: ${parsed}`, { hint: 'fix the URL; nothing was made' });
  return { ...parsed, from };
}

function commandRun(project: Project, record: LaneRecord, argv: readonly string[], name: string): Parameters<typeof runProviderCommand>[1] {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.ctx.env)) if (v !== undefined) env[k] = v;
  // env.vars only once the URL is known: they may refer to it (${db.url}), and create makes it.
  const lane = laneEnvironment(record, record.resources?.database?.url ? project.config : { ...project.config, env: { files: [], vars: {} } });
  return { argv, env: { ...env, ...lane, ISOLANE_DB_NAME: name }, cwd: project.repo.root, ...(project.ctx.signal ? { signal: project.ctx.signal } : {}) };
}
