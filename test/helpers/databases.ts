/**
 * The store test suites run once per database: the embedded SQLite file and a real PostgreSQL
 * (test/helpers/postgres.ts). `describe` each suite per target; `fresh()` gives a new, empty
 * database's address (a file name or a postgres:// URL) and `open()` a migrated connection to it,
 * closed after the file's tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openDatabase, type Db } from '../../src/db';
import { freshPostgres, skipWithoutPostgres } from './postgres';

export interface DbTarget {
  name: 'SQLite' | 'PostgreSQL';
  /** For describe's `skip`: false, or why this database cannot run here. */
  skip: string | false;
  /** A new empty database: a file name or a postgres:// URL. */
  fresh(): Promise<string>;
  /** A migrated connection (to `address`, or to a fresh database). */
  open(address?: string): Promise<Db>;
}

let dir: string | undefined;
let files = 0;
const opened: Db[] = [];
after(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close().catch(() => {})));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(this: DbTarget, address?: string): Promise<Db> {
  const db = await openDatabase(address ?? (await this.fresh()));
  opened.push(db);
  return db;
}

export const DATABASES: DbTarget[] = [
  {
    name: 'SQLite',
    skip: false,
    fresh: async () => join((dir ??= mkdtempSync(join(tmpdir(), 'gatehouse-db-'))), `db-${files++}.db`),
    open,
  },
  { name: 'PostgreSQL', skip: skipWithoutPostgres, fresh: freshPostgres, open },
];
