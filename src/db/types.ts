/**
 * The one database of a gateway process (src/db/open.ts): SQLite (embedded, the default) or
 * PostgreSQL (`DATABASE_URL=postgres://…`, shared by every process of a cluster). Every store
 * (ledger, usage report, budgets, release control, comparisons) gets it injected and writes each
 * query once, in the SQL both dialects speak: `?` placeholders (rewritten to `$n` for PostgreSQL,
 * so never a `?` inside a string literal), ISO-8601 text times, integers for booleans, quoted
 * camelCase aliases. The few differences are the `Dialect` fields below.
 */
export type Dialect = 'sqlite' | 'postgres';
export type Param = string | number | null;
export type Row = Record<string, any>;

export interface Sql {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** A statement without result rows; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
}

export interface TransactionOptions {
  /**
   * Serializes every transaction naming the same lock, across processes. SQLite's write lock
   * (BEGIN IMMEDIATE) already serializes all writers; PostgreSQL takes a transaction advisory lock.
   */
  lock?: string;
}

export interface Db extends Sql {
  /** What it is, for logs and `gatehouse db status` (never a password). */
  readonly description: string;
  /** `fn`'s queries (on `tx`) in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Runs `fn` holding a cluster-wide lock (PostgreSQL: a session advisory lock; SQLite: none needed,
   * every writing transaction is already exclusive): two processes starting at once take turns.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `FOR UPDATE` where rows can be locked (PostgreSQL); SQLite's transactions hold the whole database. */
export const forUpdate = (d: Dialect): string => (d === 'postgres' ? ' FOR UPDATE' : '');

/** A 32-bit key for PostgreSQL advisory locks, stable across processes and versions. */
export function lockKey(name: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}
