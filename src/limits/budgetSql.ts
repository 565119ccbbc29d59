import { forUpdate, type Sql } from '../db';

/**
 * Budget tables (made by the migrations, src/db/schema.ts). Money is stored as integer nano-dollars
 * so that sums of many tiny requests (a short gpt-4o-mini call is ~1e-5 USD) neither drift nor round
 * to zero.
 *
 * `budget_spend`: one row per request id — its reservation, later its actual cost. The row keeps the
 * UTC day and month of the reservation; the spend counts there even if settled after midnight.
 * `budget_totals`: running sums per (subject, period), kept in the same transactions as the rows, so
 * a reserve reads four totals instead of summing a month of rows.
 */
export const NANOS_PER_USD = 1_000_000_000;
export const toNanos = (usd: number): number => Math.round(usd * NANOS_PER_USD);
export const toUsd = (nanos: number): number => nanos / NANOS_PER_USD;

export interface SpendRow {
  request_id: string;
  caller: string;
  team: string | null;
  day: string;
  month: string;
  state: 'reserved' | 'settled' | 'expired';
  usd_nanos: number;
  decision: 'ok' | 'soft_limit';
  soft_budget: string | null;
  soft_fraction: number | null;
  reserved_at_ms: number;
}

/** "caller:support-bot", "team:support" */
export const subjectKey = (scope: 'caller' | 'team', name: string): string => `${scope}:${name}`;
/** "day:2025-06-01", "month:2025-06" */
export const periodKey = (kind: 'day' | 'month', value: string): string => `${kind}:${value}`;

/** A running total's key. */
export interface TotalKey {
  subject: string;
  period: string;
}

/** Every budget query, written once for SQLite and PostgreSQL. */
export const budgetSql = {
  getRow: (tx: Sql, requestId: string, lock = false) =>
    tx.get<SpendRow>(`SELECT * FROM budget_spend WHERE request_id = ?${lock ? forUpdate(tx.dialect) : ''}`, [requestId]),
  insertRow: (tx: Sql, r: { requestId: string; caller: string; team: string | null; day: string; month: string; usdNanos: number; decision: string; softBudget: string | null; softFraction: number | null; nowMs: number }) =>
    tx.run(
      `INSERT INTO budget_spend (request_id, caller, team, day, month, state, usd_nanos, decision, soft_budget, soft_fraction, reserved_at_ms)
       VALUES (?, ?, ?, ?, ?, 'reserved', ?, ?, ?, ?, ?)`,
      [r.requestId, r.caller, r.team, r.day, r.month, r.usdNanos, r.decision, r.softBudget, r.softFraction, r.nowMs],
    ),
  settleRow: (tx: Sql, requestId: string, nanos: number, nowMs: number) =>
    tx.run(`UPDATE budget_spend SET state = 'settled', usd_nanos = ?, settled_at_ms = ? WHERE request_id = ?`, [nanos, nowMs, requestId]),
  expireRow: (tx: Sql, requestId: string) => tx.run(`UPDATE budget_spend SET state = 'expired', usd_nanos = 0 WHERE request_id = ?`, [requestId]),
  deleteRow: (tx: Sql, requestId: string) => tx.run('DELETE FROM budget_spend WHERE request_id = ?', [requestId]),
  staleIds: (tx: Sql, olderThanMs: number) =>
    tx.all<{ request_id: string }>(`SELECT request_id FROM budget_spend WHERE state = 'reserved' AND reserved_at_ms < ? LIMIT 100`, [olderThanMs]),
  getTotal: async (tx: Sql, k: TotalKey) =>
    (await tx.get<{ usd_nanos: number }>('SELECT usd_nanos FROM budget_totals WHERE subject = ? AND period = ?', [k.subject, k.period]))?.usd_nanos ?? 0,
  /**
   * The totals of `keys`, locked until the transaction ends (PostgreSQL: row locks, taken in one
   * order so two reserves never deadlock; SQLite: the transaction already holds the database).
   */
  lockTotals: async (tx: Sql, keys: TotalKey[]): Promise<Map<string, number>> => {
    const where = keys.map(() => '(subject = ? AND period = ?)').join(' OR ');
    const params = keys.flatMap((k) => [k.subject, k.period]);
    const select = () =>
      tx.all<TotalKey & { usd_nanos: number }>(`SELECT subject, period, usd_nanos FROM budget_totals WHERE ${where} ORDER BY subject, period${forUpdate(tx.dialect)}`, params);
    let rows = await select();
    if (rows.length < keys.length) {
      // First use of a period: make its rows (in key order), then lock them all.
      for (const k of keys) await tx.run('INSERT INTO budget_totals (subject, period, usd_nanos) VALUES (?, ?, 0) ON CONFLICT (subject, period) DO NOTHING', [k.subject, k.period]);
      rows = await select();
    }
    return new Map(rows.map((r) => [totalId(r), r.usd_nanos]));
  },
  addTotal: (tx: Sql, k: TotalKey, deltaNanos: number) =>
    tx.run(
      `INSERT INTO budget_totals (subject, period, usd_nanos) VALUES (?, ?, ?)
       ON CONFLICT (subject, period) DO UPDATE SET usd_nanos = budget_totals.usd_nanos + excluded.usd_nanos`,
      [k.subject, k.period, deltaNanos],
    ),
  pruneRows: (tx: Sql, cutoffMonth: string) => tx.run('DELETE FROM budget_spend WHERE month < ?', [cutoffMonth]),
  pruneTotals: (tx: Sql, cutoffMonth: string) =>
    tx.run(
      `DELETE FROM budget_totals WHERE (period LIKE 'day:%' AND substr(period, 5, 7) < ?) OR (period LIKE 'month:%' AND substr(period, 7) < ?)`,
      [cutoffMonth, cutoffMonth],
    ),
};

export const totalId = (k: TotalKey): string => `${k.subject}|${k.period}`;
