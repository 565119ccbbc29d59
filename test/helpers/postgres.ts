/**
 * A real PostgreSQL for the tests: Debian's binaries (apt-get install postgresql; `.ci/run` does),
 * a throwaway cluster in a temp dir on a free loopback port, fsync off. `npm test` starts one for
 * the whole run and hands its URL down (GATEHOUSE_TEST_POSTGRES_URL); a test file run on its own
 * starts its own. Each test gets a fresh database in it (`freshPostgres`).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from '../../src/temporal/devServer';

/** Debian's newest installed major version (`/usr/lib/postgresql/<major>/bin`), or GATEHOUSE_POSTGRES_BIN. */
function binDir(): string {
  if (process.env.GATEHOUSE_POSTGRES_BIN) return process.env.GATEHOUSE_POSTGRES_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, majors[0] ?? '15', 'bin');
}

const BIN = binDir();

export const hasPostgres = existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));
/** For `describe(..., { skip })`: why PostgreSQL tests cannot run here, or false. */
export const skipWithoutPostgres = hasPostgres || process.env.GATEHOUSE_TEST_POSTGRES_URL ? false : `PostgreSQL binaries not found in ${BIN} (apt-get install postgresql)`;

export interface PostgresServer {
  /** postgres://…/postgres: the admin database, to create test databases in. */
  url: string;
  stop(): Promise<void>;
  /** The same, synchronously (a process `exit` handler). */
  stopSync(): void;
}

/** initdb refuses to run as root: the cluster then belongs to the `postgres` system user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(dir, 'data');
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const opts = { ...(user ?? {}), encoding: 'utf8' as const };
  const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], opts);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = spawnSync(join(BIN, 'pg_ctl'), ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], opts);
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}${start.stdout}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await new Promise<void>((resolve) => {
        const stop = spawn(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...(user ?? {}), stdio: 'ignore' });
        stop.on('exit', () => resolve());
        stop.on('error', () => resolve());
      });
      rmSync(dir, { recursive: true, force: true });
    },
    stopSync() {
      spawnSync(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...(user ?? {}), stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let own: Promise<PostgresServer> | undefined;

/** The run's server (from `npm test`) or, for a file run on its own, one started for this process. */
async function adminUrl(): Promise<string> {
  if (process.env.GATEHOUSE_TEST_POSTGRES_URL) return process.env.GATEHOUSE_TEST_POSTGRES_URL;
  if (!own) {
    own = startPostgres();
    const server = await own;
    // pg_ctl runs the server detached: stopped when this test process ends, however it ends.
    process.once('exit', () => server.stopSync());
  }
  return (await own).url;
}

/** A new, empty database on the test server: its postgres:// URL. */
export async function freshPostgres(): Promise<string> {
  const admin = await adminUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
