import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import getPort from 'get-port';
import pg from 'pg';

const execFileP = promisify(execFile);

/**
 * A throwaway PostgreSQL server for one test file: `initdb` in a temp dir, TCP on 127.0.0.1 with
 * a password (scram), its socket in that dir. It is used rather than the machine's own cluster
 * because nothing outside the test then matters: not whether that cluster runs, its pg_hba, its
 * roles, leftover databases of an earlier run, nor port 5432; two test files never share one.
 * It needs only PostgreSQL's server binaries (.ci/run installs them).
 */
export interface TestPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** A client on `database`, as the superuser; the caller ends it. */
  client(database: string): Promise<pg.Client>;
  databases(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries of the machine; undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(base).filter((v) => /^\d+$/.test(v));
  } catch {
    return undefined;
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? path.join(base, newest, 'bin') : undefined;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-pg-'));
  const data = path.join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  await fsp.writeFile(path.join(dir, 'pw'), `${password}\n`);
  // initdb refuses to run as root: the server runs as the postgres account then.
  const asServer = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asServer.length > 0) await execFileP('chown', ['-R', 'postgres:postgres', dir]);
  const run = async (argv: readonly string[]): Promise<void> => {
    const [file, ...args] = [...asServer, ...argv];
    await execFileP(file!, args, { timeout: 120_000 });
  };
  await run([path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await getPort({ host: '127.0.0.1' });
  await fsp.appendFile(path.join(data, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nfsync = off\nsynchronous_commit = off\n`);
  await run([path.join(bin, 'pg_ctl'), '-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const url = (database: string): string => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const client = async (database: string): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: url(database) });
    await c.connect();
    return c;
  };
  return {
    url,
    client,
    async databases() {
      const c = await client('postgres');
      try {
        return (await c.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY datname')).rows.map((r) => r.datname);
      } finally {
        await c.end();
      }
    },
    async stop() {
      await run([path.join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
