import type { IsolaneConfig } from '../../config/schema.js';
import { IsolaneError } from '../../errors.js';
import type { LaneRecord } from '../../engine/journal.js';
import { portVariable } from '../ports/range.js';
import { expandValue, type Reference } from './references.js';

/** The parts of isolane.yaml the environment is built from. */
export interface EnvConfig {
  readonly env?: { readonly vars?: Readonly<Record<string, string>>; readonly files?: readonly string[] } | undefined;
  readonly ports?: IsolaneConfig['ports'];
  readonly database?: IsolaneConfig['database'];
}

/**
 * The one place a lane's environment is built: `ISOLANE_*`, a variable per leased port (`PORT`
 * for the first), `DATABASE_URL` when the lane has a database branch, then isolane.yaml's
 * `env.vars` with their references expanded. `at` is the lane's directory as the command sees it
 * (its host path, or where its container mounts it). Given the same way to run, shell,
 * containers and env files.
 */
export function laneEnvironment(record: LaneRecord, config: EnvConfig = {}, at: string = record.path): Record<string, string> {
  const env: Record<string, string> = { ISOLANE_LANE: record.lane, ISOLANE_BRANCH: record.branch, ISOLANE_PATH: at };
  const ports = Object.entries(record.resources?.ports ?? {});
  if (ports[0]) env.PORT = String(ports[0][1]);
  for (const [name, port] of ports) env[portVariable(name)] = String(port);
  const db = record.resources?.database;
  if (db?.url) env.DATABASE_URL = db.url;
  const lookup = (ref: Reference, source: string): string => {
    switch (ref.kind) {
      case 'lane':
        return record.lane;
      case 'branch':
        return record.branch;
      case 'path':
        return at;
      case 'port': {
        const port = record.resources?.ports?.[ref.name];
        if (port === undefined) throw missing(record.lane, source, `it holds no port named ${ref.name} (made before ports.names had it?)`);
        return String(port);
      }
      case 'db.url':
        if (!db?.url) throw missing(record.lane, source, 'it has no database URL');
        return db.url;
      case 'db.name':
        if (!db) throw missing(record.lane, source, 'it has no database branch');
        return db.name;
    }
  };
  for (const [name, value] of Object.entries(config.env?.vars ?? {})) env[name] = expandValue(value, lookup);
  return env;
}

/** Whether isolane.yaml gives lanes an environment of their own (and so env files). */
export function declaresEnvironment(config: EnvConfig): boolean {
  return config.env !== undefined || config.ports !== undefined || config.database !== undefined;
}

function missing(lane: string, source: string, why: string): IsolaneError {
  return new IsolaneError('CONFIG', `env.vars: ${source} cannot be expanded for lane ${lane}: ${why}`, {
    hint: `make the lane again with the current isolane.yaml (\`isolane down ${lane}\`, then \`isolane up ${lane}\`)`,
    data: { lane },
  });
}
