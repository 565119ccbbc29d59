import { join } from 'node:path';
import { migrate } from './migrate';
import { PostgresDb } from './postgres';
import { SqliteDb } from './sqlite';
import type { Db } from './types';

export interface OpenDbOptions {
  env: NodeJS.ProcessEnv;
  /** Where the SQLite file lives when no DATABASE_URL is set (`ledger.db`, or GATEHOUSE_LEDGER). */
  dataDir: string;
  /** Apply pending migrations (default true; `gatehouse db status` only looks). */
  migrate?: boolean;
}

/** PostgreSQL when DATABASE_URL is a postgres:// URL, else the SQLite file in the data dir. */
export function dbFromEnv(env: NodeJS.ProcessEnv, dataDir: string): Db {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgres:// (or postgresql://) URL; leave it unset for the embedded SQLite file');
    return new PostgresDb(url, { max: env.GATEHOUSE_DB_POOL ? Number(env.GATEHOUSE_DB_POOL) : undefined });
  }
  return new SqliteDb(env.GATEHOUSE_LEDGER ?? join(dataDir, 'ledger.db'));
}

/** The process's one database, migrated to the schema this version needs. */
export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const db = dbFromEnv(opts.env, opts.dataDir);
  try {
    if (opts.migrate !== false) await migrate(db);
    return db;
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/** Tests and tools: a migrated database from a file name (SQLite) or a postgres:// URL. */
export async function openDatabase(target: string): Promise<Db> {
  const db = /^postgres(ql)?:\/\//.test(target) ? new PostgresDb(target) : new SqliteDb(target);
  await migrate(db);
  return db;
}
