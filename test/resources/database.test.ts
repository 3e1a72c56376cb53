import { promises as fsp } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/parse.js';
import { isLaneDatabaseName, laneDatabaseName } from '../../src/resources/database/names.js';
import { expectNoLane, killCli, readRecord, spawnCli, waitGroupGone } from '../helpers/crash.js';
import { dockerAvailable } from '../helpers/docker.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * Database branches against a real PostgreSQL server (a throwaway cluster, see
 * helpers/postgres.ts), real SQLite files and real provider commands, through the CLI.
 */

const engine = await dockerAvailable('database.test.ts');
let server: TestPostgres;
let repo: TestRepo;

beforeAll(async () => {
  server = await startPostgres();
  const c = await server.client('postgres');
  await c.query('CREATE DATABASE app');
  await c.end();
  const app = await server.client('app');
  await app.query("CREATE TABLE items (name text); INSERT INTO items VALUES ('seed')");
  await app.end();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
  // A failed test's lane databases must not fail the next tests too.
  const left = await laneDatabases();
  if (left.length === 0) return;
  const c = await server.client('postgres');
  for (const d of left) await c.query(`DROP DATABASE ${c.escapeIdentifier(d)} WITH (FORCE)`);
  await c.end();
});

const writeConfig = (yaml: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), yaml);

/** The lane's database name, from its journal record (what isolane recorded before making it). */
async function dbName(lane: string): Promise<string> {
  const record = (await readRecord(repo, lane)) as { resources?: { database?: { name: string } } } | undefined;
  const name = record?.resources?.database?.name;
  if (!name) throw new Error(`lane ${lane} records no database`);
  return name;
}

async function rows(database: string): Promise<string[]> {
  const c = await server.client(database);
  try {
    return (await c.query<{ name: string }>('SELECT name FROM items ORDER BY name')).rows.map((r) => r.name);
  } finally {
    await c.end();
  }
}

async function up(lane: string, env: Record<string, string> = {}): Promise<void> {
  const r = await repo.cli(['up', lane], { env });
  expect(r.code, `isolane up ${lane}\n${r.stderr}`).toBe(0);
}

async function down(lane: string): Promise<string> {
  const r = await repo.cli(['down', lane]);
  expect(r.code, `isolane down ${lane}\n${r.stderr}`).toBe(0);
  return r.stderr;
}

/** Databases of the server beside the template ones and the fixture's own. */
const laneDatabases = async (): Promise<string[]> => (await server.databases()).filter((d) => !['postgres', 'template0', 'template1', 'app'].includes(d));

describe('postgres', () => {
  it('gives each lane its own copy of the source: a row written in one is absent from the other; down drops it', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    await up('alpha');
    await up('beta');
    const [a, b] = [await dbName('alpha'), await dbName('beta')];
    expect(a).not.toBe(b);
    expect(await laneDatabases()).toEqual([a, b].sort());

    const c = await server.client(a);
    await c.query("INSERT INTO items VALUES ('only-in-alpha')");
    await c.end();
    expect(await rows(a)).toEqual(['only-in-alpha', 'seed']);
    expect(await rows(b)).toEqual(['seed']);
    expect(await rows('app')).toEqual(['seed']);

    // DATABASE_URL in the lane names the lane's database on the same server.
    const run = await repo.cli(['run', 'alpha', '--', 'sh', '-c', 'echo "$DATABASE_URL"']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(server.url(a));

    await down('alpha');
    expect(await laneDatabases()).toEqual([b]);
    await down('beta');
    expect(await laneDatabases()).toEqual([]);
  });

  it('takes the server from DATABASE_URL when isolane.yaml has no url, and copies database.template instead of the URL database', async () => {
    const c = await server.client('postgres');
    await c.query('CREATE DATABASE app_template TEMPLATE app');
    await c.end();
    const t = await server.client('app_template');
    await t.query("INSERT INTO items VALUES ('from-template')");
    await t.end();
    try {
      await writeConfig('database:\n  provider: postgres\n  template: app_template\n  prefix: shop\n');
      await up('gamma', { DATABASE_URL: server.url('app') });
      const name = await dbName('gamma');
      expect(name).toMatch(/^shop_gamma_[0-9a-f]{10}$/);
      expect(await rows(name)).toEqual(['from-template', 'seed']);
      await down('gamma'); // no DATABASE_URL now: the lane's record says which server
      expect(await server.databases()).not.toContain(name);
    } finally {
      const d = await server.client('postgres');
      await d.query('DROP DATABASE app_template');
      await d.end();
    }
  });

  it('names the lanes of two 40-character names that differ in the last character apart, within 63 bytes', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n  prefix: a_prefix_of_twenty_c\n`);
    const long1 = `${'l'.repeat(39)}1`;
    const long2 = `${'l'.repeat(39)}2`;
    await up(long1);
    await up(long2);
    const [n1, n2] = [await dbName(long1), await dbName(long2)];
    expect(n1).not.toBe(n2);
    expect(Buffer.byteLength(n1)).toBeLessThanOrEqual(63);
    expect(Buffer.byteLength(n2)).toBeLessThanOrEqual(63);
    // PostgreSQL would have cut a longer name silently, and both lanes would share one database.
    expect(await laneDatabases()).toEqual([n1, n2].sort());
    await down(long1);
    await down(long2);
    expect(await laneDatabases()).toEqual([]);
  });

  it('six concurrent ups copy one source at once, each into its own database; six concurrent downs drop them all', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    const lanes = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
    const ups = await Promise.all(lanes.map((l) => repo.cli(['up', l])));
    for (const r of ups) expect(r.code, r.stderr).toBe(0);
    const names = await Promise.all(lanes.map(dbName));
    expect(await laneDatabases()).toEqual([...new Set(names)].sort());
    expect(names).toHaveLength(6);
    const downs = await Promise.all(lanes.map((l) => repo.cli(['down', l])));
    for (const r of downs) expect(r.code, r.stderr).toBe(0);
    expect(await laneDatabases()).toEqual([]);
  });

  it('refuses while someone is connected to the source, naming the session and the fix; nothing is left', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    const held = await server.client('app');
    await held.query("SET application_name = 'dev-server-of-test'");
    try {
      const r = await repo.cli(['up', 'busy']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('other sessions are connected to it');
      expect(r.stderr).toContain('application "dev-server-of-test"');
      expect(r.stderr).toMatch(/pid \d+ \(user postgres/);
      expect(r.stderr).toContain('pg_terminate_backend');
      expect(r.stderr).toContain('database.template');
    } finally {
      await held.end();
    }
    await expectNoLane(repo, 'busy');
    expect(await laneDatabases()).toEqual([]);
  });

  it('a server that does not answer: a clear error, exit 1, and no lane', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    await writeConfig(`database:\n  provider: postgres\n  url: postgres://someone:secret@127.0.0.1:${port}/app\n`);
    const r = await repo.cli(['up', 'nowhere', '--json']);
    expect(r.code).toBe(1);
    const err = (JSON.parse(r.stderr) as { error: { code: string; message: string; hint: string } }).error;
    expect(err.code).toBe('DATABASE_FAILED');
    expect(err.message).toMatch(/^isolane\.yaml:3:3 database\.url: the PostgreSQL server at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:\d+\/app does not answer: connection refused/);
    expect(r.stderr).not.toContain('secret');
    expect(err.hint).toContain('nothing was made');
    await expectNoLane(repo, 'nowhere');
  });

  it('runs database.migrate in the lane with its DATABASE_URL; a failing migration fails up and drops the database', async () => {
    const migrate = path.join(repo.dir, 'migrate.sh');
    await fsp.writeFile(
      migrate,
      // It also says whether the lane's env file was already there (it is written before migrating).
      '#!/bin/sh\nset -e\nenvfile=$(test -f .env.isolane && echo yes || echo no)\npsql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -v cwd="$PWD" -v envfile="$envfile" <<\'SQL\'\nCREATE TABLE migrated (cwd text, envfile text);\nINSERT INTO migrated VALUES (:\'cwd\', :\'envfile\');\nSQL\n',
      { mode: 0o755 },
    );
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n  migrate: [${migrate}]\n`);
    await up('mig');
    const name = await dbName('mig');
    const c = await server.client(name);
    const migrated = (await c.query<{ cwd: string; envfile: string }>('SELECT cwd, envfile FROM migrated')).rows;
    await c.end();
    expect(migrated).toEqual([{ cwd: path.join(repo.lanesRoot, 'mig'), envfile: 'yes' }]);
    const src = await server.client('app');
    expect((await src.query("SELECT to_regclass('migrated') AS t")).rows).toEqual([{ t: null }]);
    await src.end();
    await down('mig');

    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n  migrate: [sh, -c, 'echo broken migration >&2; exit 3']\n`);
    const r = await repo.cli(['up', 'badmig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('database.migrate');
    expect(r.stderr).toContain('exited 3');
    expect(r.stderr).toContain('broken migration');
    await expectNoLane(repo, 'badmig');
    expect(await laneDatabases()).toEqual([]);
  });

  it('kill -9 between reserve and prepare: the next down drops whatever exists; the next up, with nothing made, cleans up and makes the lane', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    const p = spawnCli(repo, ['up', 'killed'], { ISOLANE_TEST_CHECKPOINT: 'up:created' });
    await p.waitForStderr(/^checkpoint up:created$/m);
    await killCli(p);
    await waitGroupGone(p.pid);
    // The record names the database before it exists; make it, as a kill just after CREATE DATABASE would leave it.
    const name = await dbName('killed');
    expect(await laneDatabases()).toEqual([]);
    const c = await server.client('postgres');
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE app`);
    await c.end();
    await down('killed');
    expect(await laneDatabases()).toEqual([]);
    await expectNoLane(repo, 'killed');

    // Killed again at the same point, with nothing made: the next up cleans up and makes it whole.
    const q = spawnCli(repo, ['up', 'killed'], { ISOLANE_TEST_CHECKPOINT: 'up:created' });
    await q.waitForStderr(/^checkpoint up:created$/m);
    await killCli(q);
    await waitGroupGone(q.pid);
    await up('killed');
    expect(await laneDatabases()).toEqual([await dbName('killed')]);
    await down('killed');
    expect(await laneDatabases()).toEqual([]);
  });

  it('a server gone at down: the lane is still removed, and down names the database left to drop', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    await up('gone');
    const name = await dbName('gone');
    // The record names the server the lane was made on: point it at a port nothing listens on.
    const file = path.join(repo.root, '.git', 'isolane', 'lanes', 'gone.json');
    const record = JSON.parse(await fsp.readFile(file, 'utf8')) as { resources: { database: { url: string } } };
    const port = await getPort({ host: '127.0.0.1' });
    record.resources.database.url = record.resources.database.url.replace(/:\d+\//, `:${port}/`);
    await fsp.writeFile(file, JSON.stringify(record));
    const r = await repo.cli(['down', 'gone']);
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`database ${name} \\(postgres\\) was not dropped: .*does not answer: connection refused`));
    await expectNoLane(repo, 'gone');
    expect(await laneDatabases()).toEqual([name]); // dropped by afterEach, as by hand
  });

  it('never adopts nor drops a database of the lane name that it did not record', async () => {
    await writeConfig(`database:\n  provider: postgres\n  url: ${server.url('app')}\n`);
    await up('taken');
    const name = await dbName('taken');
    // Remove the lane's record only (as if it were lost): the database stays behind.
    await fsp.rm(path.join(repo.root, '.git', 'isolane', 'lanes', 'taken.json'));
    await repo.git(['worktree', 'remove', '--force', path.join(repo.lanesRoot, 'taken')]);
    await repo.git(['branch', '-D', 'isolane/taken']);
    const r = await repo.cli(['up', 'taken']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`a database named ${name} already exists`);
    await expectNoLane(repo, 'taken');
    expect(await laneDatabases()).toEqual([name]);
    const c = await server.client('postgres');
    await c.query(`DROP DATABASE ${c.escapeIdentifier(name)}`);
    await c.end();
  });
});

describe('sqlite', () => {
  it('copies the file into each lane, independent of the others and of the main checkout, and out of git', async () => {
    await fsp.mkdir(path.join(repo.root, 'db'));
    await fsp.writeFile(path.join(repo.root, '.gitignore'), '*.sqlite3\n');
    await repo.git(['add', '.gitignore']);
    await repo.git(['commit', '-qm', 'ignore databases']);
    const source = path.join(repo.root, 'db', 'dev.sqlite3');
    const sqlite = execSqlite;
    await sqlite(source, "CREATE TABLE items (name text); INSERT INTO items VALUES ('seed');");
    await writeConfig('database:\n  provider: sqlite\n  path: db/dev.sqlite3\n');
    await up('one');
    await up('two');
    const one = path.join(repo.lanesRoot, 'one', 'db', 'dev.sqlite3');
    const two = path.join(repo.lanesRoot, 'two', 'db', 'dev.sqlite3');
    await sqlite(one, "INSERT INTO items VALUES ('only-in-one');");
    expect(await sqlite(one, 'SELECT name FROM items ORDER BY name;')).toBe('only-in-one\nseed\n');
    expect(await sqlite(two, 'SELECT name FROM items ORDER BY name;')).toBe('seed\n');
    expect(await sqlite(source, 'SELECT name FROM items ORDER BY name;')).toBe('seed\n');
    const run = await repo.cli(['run', 'one', '--', 'sh', '-c', 'echo "$DATABASE_URL"']);
    expect(run.stdout.trim()).toBe(`file:${one}`);
    // Changed, yet no uncommitted work: down needs no --force, and removes the copy with the lane.
    expect(await repo.git(['status', '--porcelain', '--ignored=no'], path.join(repo.lanesRoot, 'one'))).toBe('');
    await down('one');
    expect(await exists(one)).toBe(false);
    await down('two');
  });

  it.runIf(engine)('in a container lane: the copy at /workspace belongs to the lane user, and migrate runs inside', async () => {
    await fsp.writeFile(path.join(repo.root, '.gitignore'), '*.sqlite3*\n');
    await repo.git(['add', '.gitignore']);
    await repo.git(['commit', '-qm', 'ignore databases']);
    await execSqlite(path.join(repo.root, 'dev.sqlite3'), 'CREATE TABLE items (name text);');
    await writeConfig(
      `strategy: container\ndatabase:\n  provider: sqlite\n  path: dev.sqlite3\n  migrate: [sh, -c, 'cp "\${DATABASE_URL#file:}" "\${DATABASE_URL#file:}.migrated" && hostname > migrated.sqlite3.from']\n`,
    );
    await up('box');
    try {
      const lane = path.join(repo.lanesRoot, 'box');
      const laneRoot = await fsp.stat(lane);
      const copy = await fsp.stat(path.join(lane, 'dev.sqlite3'));
      expect({ uid: copy.uid, gid: copy.gid }).toEqual({ uid: laneRoot.uid, gid: laneRoot.gid });
      expect(await fsp.readFile(path.join(lane, 'migrated.sqlite3.from'), 'utf8')).toBe('box\n'); // the container's hostname is its lane
      expect(await exists(path.join(lane, 'dev.sqlite3.migrated'))).toBe(true);
      const run = await repo.cli(['run', 'box', '--', 'sh', '-c', 'echo "$DATABASE_URL"; test -w "${DATABASE_URL#file:}" && echo writable']);
      expect(run.stdout, run.stderr).toBe('file:/workspace/dev.sqlite3\nwritable\n');
      await down('box'); // the copy is no uncommitted work
    } finally {
      await repo.cli(['down', 'box', '--force']);
    }
  });

  it('refuses a database.path that is a symlink out of the main checkout, making nothing', async () => {
    await fsp.writeFile(path.join(repo.dir, 'outside.sqlite3'), 'not yours');
    await fsp.symlink(path.join(repo.dir, 'outside.sqlite3'), path.join(repo.root, 'dev.sqlite3'));
    await writeConfig('database:\n  provider: sqlite\n  path: dev.sqlite3\n');
    const r = await repo.cli(['up', 'sym']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/isolane\.yaml:3:3 database\.path: .*dev\.sqlite3 is a symlink/);
    await expectNoLane(repo, 'sym');
  });
});

describe('command', () => {
  it('calls create and drop with the lane database name; the printed URL reaches the lane', async () => {
    const log = path.join(repo.dir, 'provider.log');
    const script = path.join(repo.dir, 'branch.sh');
    await fsp.writeFile(
      script,
      '#!/bin/sh\nset -e\necho "$1 $ISOLANE_DB_NAME $ISOLANE_LANE $(pwd)" >> "$PROVIDER_LOG"\n[ "$1" = create ] && echo "postgres://branch.example:5432/$ISOLANE_DB_NAME?sslmode=require" && echo "made it" || true\n',
      { mode: 0o755 },
    );
    await writeConfig(`database:\n  provider: command\n  prefix: hosted\n  create: [${script}, create]\n  drop: [${script}, drop]\n`);
    const env = { PROVIDER_LOG: log };
    const r = await repo.cli(['up', 'cmd'], { env });
    expect(r.code, r.stderr).toBe(0);
    const name = await dbName('cmd');
    expect(name).toMatch(/^hosted_cmd_[0-9a-f]{10}$/);
    const run = await repo.cli(['run', 'cmd', '--', 'sh', '-c', 'echo "$DATABASE_URL"']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`postgres://branch.example:5432/${name}?sslmode=require`);
    const d = await repo.cli(['down', 'cmd'], { env });
    expect(d.code, d.stderr).toBe(0);
    expect(await fsp.readFile(log, 'utf8')).toBe(`create ${name} cmd ${repo.root}\ndrop ${name} cmd ${repo.root}\n`);
  });

  it('a create that fails or prints no URL fails up, and drop runs for what it may have made', async () => {
    const log = path.join(repo.dir, 'provider.log');
    await writeConfig(`database:\n  provider: command\n  create: [sh, -c, 'echo "create $ISOLANE_DB_NAME" >> "$PROVIDER_LOG"; echo not a url']\n  drop: [sh, -c, 'echo "drop $ISOLANE_DB_NAME" >> "$PROVIDER_LOG"']\n`);
    const r = await repo.cli(['up', 'nourl'], { env: { PROVIDER_LOG: log } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("database.create's first line is not a URL");
    await expectNoLane(repo, 'nourl');
    const [created, dropped] = (await fsp.readFile(log, 'utf8')).trim().split('\n');
    expect(dropped).toBe(created?.replace('create', 'drop'));
  });
});

describe('configuration', () => {
  it('refuses bad database sections with file:line:col, before anything runs', () => {
    const problems = (yaml: string): string[] => parseConfigText(yaml, '/r/isolane.yaml').problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    expect(problems('database:\n  provider: mysql\n')[0]).toMatch(/^2:3 database\.provider: /);
    expect(problems('database:\n  provider: postgres\n  url: http://x/app\n')).toEqual(['3:3 database.url: expected a postgres:// URL, not http://']);
    expect(problems('database:\n  provider: postgres\n  url: postgres://x:5432/\n')[0]).toMatch(/^3:3 database\.url: expected a database name/);
    expect(problems('database:\n  provider: sqlite\n  path: ../elsewhere.db\n')).toEqual(['3:3 database.path: expected a path inside the repository (no ..)']);
    expect(problems('database:\n  provider: sqlite\n  path: db.sqlite\n  url: postgres://x/app\n')).toEqual(['4:3 database.url: unknown key']);
    expect(problems('database:\n  provider: command\n  create: "make-branch $NAME"\n  drop: [x]\n')[0]).toMatch(/^3:3 database\.create: expected an array/);
    expect(problems('database:\n  provider: postgres\n  prefix: Bad-Prefix\n')[0]).toMatch(/^3:3 database\.prefix: expected 1-20 of a-z/);
  });

  it('derives names that fit 63 bytes, differ per lane and repository, and are recognised only for their own lane', () => {
    const a = laneDatabaseName('a_prefix_of_twenty_c', 'repo1', `${'x'.repeat(39)}a`);
    const b = laneDatabaseName('a_prefix_of_twenty_c', 'repo1', `${'x'.repeat(39)}b`);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(laneDatabaseName('app', 'repo1', 'fix-login')).toMatch(/^app_fix_login_[0-9a-f]{10}$/);
    expect(laneDatabaseName('app', 'repo1', 'fix-login')).not.toBe(laneDatabaseName('app', 'repo2', 'fix-login'));
    expect(isLaneDatabaseName(laneDatabaseName('my_app', 'repo1', 'x'), 'repo1', 'x')).toBe(true);
    expect(isLaneDatabaseName(laneDatabaseName('my_app', 'repo1', 'x'), 'repo1', 'y')).toBe(false);
    expect(isLaneDatabaseName('app', 'repo1', 'x')).toBe(false);
  });
});

async function execSqlite(file: string, sql: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  return (await promisify(execFile)('sqlite3', [file, sql], { timeout: 30_000 })).stdout;
}
