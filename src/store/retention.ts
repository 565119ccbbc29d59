import type { Db } from '../db';

/** Rows deleted per statement: a prune never holds the database for long. */
export const RETENTION_BATCH = 1000;

/** One day: how often the cluster prunes (once, whichever process claims it). */
export const RETENTION_EVERY_MS = 24 * 3600_000;

/**
 * Ledger retention: `requests`, `comparisons` and `refusals` rows created before `cutoff` are
 * deleted, `batch` rows per statement until none is left. Returns how many rows went.
 */
export async function pruneLedger(db: Db, cutoff: Date, batch = RETENTION_BATCH): Promise<number> {
  const iso = cutoff.toISOString();
  let deleted = 0;
  const tables: Array<[string, string, string]> = [
    ['requests', 'request_id', 'created_at'],
    ['comparisons', 'request_id', 'created_at'],
  ];
  for (const [table, key, time] of tables) {
    for (;;) {
      const n = await db.run(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${time} < ? LIMIT ?)`, [iso, batch]);
      deleted += n;
      if (n < batch) break;
    }
  }
  // Refusals are one row per minute and code: few, deleted in one statement.
  deleted += await db.run('DELETE FROM refusals WHERE minute < ?', [iso.slice(0, 16)]);
  return deleted;
}

/** GATEHOUSE_LEDGER_RETENTION_DAYS: unset or 0 keeps every row (the default). */
export function retentionDays(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.GATEHOUSE_LEDGER_RETENTION_DAYS?.trim();
  if (!raw) return undefined;
  const days = Number(raw);
  if (!Number.isFinite(days) || days < 0) throw new Error(`GATEHOUSE_LEDGER_RETENTION_DAYS must be a number of days ≥ 0, got "${raw}"`);
  return days > 0 ? days : undefined;
}
