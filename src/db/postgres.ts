import pg from 'pg';
import { lockKey, type Db, type Param, type Sql, type TransactionOptions } from './types';

/** int8 (counts, sums, ids, nano-dollars) and numeric (sums of int8) as numbers: all well inside 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** `?` → `$1`, `$2`, …: the stores write each query once for both databases. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The rows and row counts of one client (a pooled connection or a transaction's). */
function sqlOf(q: (text: string, values: readonly Param[]) => Promise<pg.QueryResult>): Sql {
  return {
    dialect: 'postgres',
    all: async <T>(sql: string, params: readonly Param[] = []) => (await q(numbered(sql), params)).rows as T[],
    get: async <T>(sql: string, params: readonly Param[] = []) => (await q(numbered(sql), params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly Param[] = []) => (await q(numbered(sql), params)).rowCount ?? 0,
  };
}

/** Deadlocks and serialization failures: the transaction is run again (rare with ordered row locks). */
const RETRYABLE = new Set(['40P01', '40001']);

/** PostgreSQL through `pg`'s pool: one pool per process, shared by every store. */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly sql: Sql;

  constructor(url: string, opts: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types: TYPES });
    // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
    const u = new URL(url);
    this.description = `postgres ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
    this.sql = sqlOf((text, values) => this.pool.query(text, values as Param[]));
  }

  all<T>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.sql.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined> {
    return this.sql.get<T>(sql, params);
  }

  run(sql: string, params?: readonly Param[]): Promise<number> {
    return this.sql.run(sql, params);
  }

  async transaction<T>(fn: (tx: Sql) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(fn, opts);
      } catch (err) {
        if (attempt >= 5 || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
  }

  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [lockKey(name)]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lockKey(name)]);
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async once<T>(fn: (tx: Sql) => Promise<T>, opts: TransactionOptions): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      if (opts.lock) await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey(opts.lock)]);
      const result = await fn(sqlOf((text, values) => client.query(text, values as Param[])));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
