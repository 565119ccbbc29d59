/**
 * A throwaway PostgreSQL (Debian's binaries): a fresh cluster in a temp dir on a free loopback port,
 * trust auth for one superuser, no fsync (a test's data need not survive a power cut). As root the
 * server runs as the `postgres` system user, because PostgreSQL refuses to run as root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';

/** GATEHOUSE_PG_BIN, else the newest Debian `/usr/lib/postgresql/<major>/bin` (Temporal needs 12 or later). */
function pgBin(): string {
  if (process.env.GATEHOUSE_PG_BIN) return process.env.GATEHOUSE_PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).map(Number).filter((n) => n >= 12).sort((a, b) => b - a) : [];
  return join(root, String(majors[0] ?? 15), 'bin');
}
const BIN = pgBin();
export const PG_USER = 'gatehouse';

export interface Postgres {
  host: string;
  port: number;
  user: string;
  /** postgres://gatehouse@127.0.0.1:port/<database> */
  url(database: string): string;
  stop(): Promise<void>;
}

export function hasPostgres(): boolean {
  return existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));
}

/** uid/gid to run the server as: ourselves, or `postgres` when we are root. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(bin: string, args: string[], as: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, bin), args, { ...as, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

export async function startPostgres(): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const as = runAs();
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!);
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    await run('initdb', ['-D', data, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--no-sync'], as);
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    await run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], as);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    user: PG_USER,
    url: (database) => `postgres://${PG_USER}@127.0.0.1:${port}/${database}`,
    stop: () =>
      (stopped ??= run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], as)
        .catch(() => undefined)
        .finally(() => rmSync(dir, { recursive: true, force: true }))),
  };
}
