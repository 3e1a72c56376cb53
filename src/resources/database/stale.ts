import type { Project } from '../../engine/project.js';
import { connectMaintenance } from './server.js';
import { serverOf } from './lane-database.js';
import { dropPostgres } from './postgres.js';
import { defaultPrefix, laneDatabaseName } from './names.js';
import { LANE_NAME } from '../../git/names.js';

/** A lane database on the configured server whose lane has no record. */
export interface StaleDatabase {
  readonly name: string;
  readonly lane: string;
}

/**
 * Databases of this repository's lanes that no longer exist, on the server isolane.yaml names
 * (postgres only: a `command` provider cannot list, and sqlite copies live in the lanes). A name is
 * only ever taken as ours when it is exactly what isolane derives for that lane of this
 * repository (the hash of repository and lane in it); a name cut so short that its lane cannot be
 * told is left alone.
 */
export async function staleDatabases(project: Project, live: ReadonlySet<string>): Promise<StaleDatabase[]> {
  const config = project.config.database;
  if (config?.provider !== 'postgres') return [];
  const server = serverOf(project, config);
  const prefix = config.prefix ?? defaultPrefix(project.repo.root);
  const client = await connectMaintenance(server);
  let names: string[];
  try {
    names = (await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`${prefix}_`])).rows.map((r) => r.datname);
  } finally {
    await client.end().catch(() => undefined);
  }
  const stale: StaleDatabase[] = [];
  for (const name of names) {
    // <prefix>_<lane with - as _>_<hash>: the lane's part, with its dashes back.
    const part = name.slice(prefix.length + 1).replace(/_[0-9a-f]+$/, '');
    const lane = part.replaceAll('_', '-');
    if (!LANE_NAME.test(lane) || laneDatabaseName(prefix, project.repo.id, lane) !== name) continue;
    if (!live.has(lane)) stale.push({ name, lane });
  }
  return stale;
}

export async function dropStaleDatabase(project: Project, db: StaleDatabase): Promise<void> {
  const config = project.config.database;
  if (config?.provider !== 'postgres') return;
  await dropPostgres({ url: serverOf(project, config).url, from: `lane ${db.lane}'s database (gc)` }, db.name);
}
