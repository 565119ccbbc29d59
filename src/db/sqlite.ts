import Database from 'better-sqlite3';
import { resolve } from 'node:path';
import { privateFile } from '../store/privateFiles';
import type { Db, Param, Sql } from './types';

/**
 * SQLite through better-sqlite3 (synchronous, fast), behind the async interface the stores share.
 * One connection per process. A transaction's body awaits, so other callers' queries could run in
 * the middle of it on this connection: a queue admits one transaction at a time, and queries from
 * outside wait for it to end. The queue is per file, not per connection: a second connection in
 * the same process (tests, tools) waiting synchronously on SQLite's lock would block the event loop
 * that the first needs to finish its transaction. Writers of other processes wait on SQLite's lock
 * (busy_timeout).
 */

/** One queue per database file in this process (`:memory:` databases are each their own). */
interface Turn {
  tail: Promise<unknown>;
  inTransaction: boolean;
}
const TURNS = new Map<string, Turn>();
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly description: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly turn: Turn;
  private readonly direct: Sql;

  constructor(readonly file: string) {
    if (file !== ':memory:') privateFile(file); // 0600 before SQLite opens it: its -wal and -shm take the same mode
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL'); // readers never block the writer
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000'); // another process's write lock makes us wait, not fail
    this.description = `sqlite ${file}`;
    const key = file === ':memory:' ? Symbol('memory').toString() + Math.random() : resolve(file);
    this.turn = TURNS.get(key) ?? { tail: Promise.resolve(), inTransaction: false };
    if (file !== ':memory:') TURNS.set(key, this.turn);
    // Synchronously at the call, so a query never slips into a transaction that begins after it.
    const exec = <T>(fn: () => T) => new Promise<T>((resolve) => resolve(fn()));
    this.direct = {
      dialect: 'sqlite',
      all: <T>(sql: string, params: readonly Param[] = []) => exec(() => this.prepare(sql).all(...params) as T[]),
      get: <T>(sql: string, params: readonly Param[] = []) => exec(() => this.prepare(sql).get(...params) as T | undefined),
      run: (sql: string, params: readonly Param[] = []) => exec(() => this.prepare(sql).run(...params).changes),
    };
  }

  all<T>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.outside(() => this.direct.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined> {
    return this.outside(() => this.direct.get<T>(sql, params));
  }

  run(sql: string, params?: readonly Param[]): Promise<number> {
    return this.outside(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.queued(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      this.turn.inTransaction = true;
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      } finally {
        this.turn.inTransaction = false;
      }
    });
  }

  exclusive<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    await this.turn.tail.catch(() => {});
    this.db.close();
  }

  private outside<T>(fn: () => Promise<T>): Promise<T> {
    return this.turn.inTransaction ? this.queued(fn) : fn();
  }

  private queued<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.tail.then(fn, fn);
    this.turn.tail = run.catch(() => {});
    return run;
  }

  private prepare(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
}
