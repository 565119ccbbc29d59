import { MIGRATIONS, TYPES, type Migration } from './schema';
import type { Db } from './types';

export interface MigrationStatus {
  database: string;
  /** Highest applied version (0: none). */
  current: number;
  latest: number;
  applied: Array<{ version: number; name: string; appliedAt: string }>;
  pending: Array<{ version: number; name: string }>;
}

const LOCK = 'gatehouse:migrations';

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own transaction,
 * under a cluster-wide lock: two processes starting at once take turns, and the second finds the
 * work done (each migration re-checks its row inside its transaction). Returns the versions applied.
 */
export async function migrate(db: Db, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  return db.exclusive(LOCK, async () => {
    await db.transaction((tx) => tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT ${TYPES[db.dialect].now})`));
    const done: number[] = [];
    for (const m of migrations) {
      const applied = await db.transaction(async (tx) => {
        if (await tx.get('SELECT 1 AS x FROM schema_migrations WHERE version = ?', [m.version])) return false;
        await m.up(tx);
        await tx.run('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', [m.version, m.name]);
        return true;
      });
      if (applied) done.push(m.version);
    }
    return done;
  });
}

/** What is applied and what is pending, without changing anything. */
export async function migrationStatus(db: Db, migrations: Migration[] = MIGRATIONS): Promise<MigrationStatus> {
  const exists = await tableExists(db, 'schema_migrations');
  const rows = exists ? await db.all<{ version: number; name: string; applied_at: string }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version') : [];
  const have = new Set(rows.map((r) => r.version));
  return {
    database: db.description,
    current: rows.reduce((max, r) => Math.max(max, r.version), 0),
    latest: migrations.reduce((max, m) => Math.max(max, m.version), 0),
    applied: rows.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at })),
    pending: migrations.filter((m) => !have.has(m.version)).map((m) => ({ version: m.version, name: m.name })),
  };
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  const sql =
    db.dialect === 'sqlite'
      ? `SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?`
      : `SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`;
  return (await db.get(sql, [name])) !== undefined;
}
