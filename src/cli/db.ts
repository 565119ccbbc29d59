import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dbFromEnv, migrate, migrationStatus, type MigrationStatus } from '../db';
import { secureDataDir } from '../store/privateFiles';
import type { Out } from './adminApi';

export const DB_USAGE = `gatehouse db migrate|status

  migrate   apply the schema migrations this version needs (the gateway also does it at start,
            under a cluster-wide lock: two processes starting at once take turns)
  status    the database, the applied migrations and the pending ones (changes nothing);
            exit 1 when some are pending

  The database: PostgreSQL when DATABASE_URL=postgres://… is set, else the SQLite file
  $GATEHOUSE_LEDGER or $GATEHOUSE_DATA_DIR/ledger.db (default ./data/ledger.db). See docs/storage.md.
`;

export async function runDbCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [action, ...rest] = positionals;
  if ((action !== 'migrate' && action !== 'status') || rest.length > 0) {
    err(`gatehouse db: ${action === undefined ? 'say migrate or status' : `unknown "${positionals.join(' ')}"`}. See \`gatehouse db --help\`.`);
    return 2;
  }
  const dataDir = resolve(env.GATEHOUSE_DATA_DIR ?? 'data');
  const sqliteFile = env.GATEHOUSE_LEDGER ?? join(dataDir, 'ledger.db');
  if (action === 'status' && !env.DATABASE_URL?.trim() && !existsSync(sqliteFile)) {
    out(`database: sqlite ${sqliteFile} (not created yet: the gateway or \`gatehouse db migrate\` creates it)`);
    return 1;
  }
  if (action === 'migrate' && !env.DATABASE_URL?.trim() && !env.GATEHOUSE_LEDGER) secureDataDir(dataDir);
  const db = dbFromEnv(env, dataDir);
  try {
    if (action === 'migrate') {
      const applied = await migrate(db);
      out(applied.length ? `applied migrations ${applied.join(', ')} to ${db.description}` : `${db.description}: up to date`);
      return 0;
    }
    const status = await migrationStatus(db);
    out(formatStatus(status));
    return status.pending.length ? 1 : 0;
  } catch (e) {
    err(`gatehouse db ${action}: ${(e as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

export function formatStatus(s: MigrationStatus): string {
  const lines = [`database: ${s.database}`, `schema version: ${s.current} of ${s.latest}`];
  for (const m of s.applied) lines.push(`  applied  ${String(m.version).padStart(3)}  ${m.appliedAt}  ${m.name}`);
  for (const m of s.pending) lines.push(`  pending  ${String(m.version).padStart(3)}  ${' '.repeat(24)}  ${m.name}`);
  if (s.pending.length) lines.push('run `gatehouse db migrate` (or start the gateway) to apply them');
  return lines.join('\n');
}
