import type Database from 'better-sqlite3';

/**
 * Budget tables, in the ledger's SQLite file. Money is stored as integer nano-dollars so that sums of
 * many tiny requests (a short gpt-4o-mini call is ~1e-5 USD) neither drift nor round to zero.
 *
 * `budget_spend`: one row per request id — its reservation, later its actual cost. The row keeps the
 * UTC day and month of the reservation; the spend counts there even if settled after midnight.
 * `budget_totals`: running sums per (subject, period), kept in the same transactions as the rows, so
 * a reserve reads four totals instead of summing a month of rows.
 */
export const BUDGET_SCHEMA = `
CREATE TABLE IF NOT EXISTS budget_spend (
  request_id TEXT PRIMARY KEY,
  caller TEXT NOT NULL,
  team TEXT,
  day TEXT NOT NULL,
  month TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'expired')),
  usd_nanos INTEGER NOT NULL,
  decision TEXT NOT NULL,
  soft_budget TEXT,
  soft_fraction REAL,
  reserved_at_ms INTEGER NOT NULL,
  settled_at_ms INTEGER
);
CREATE INDEX IF NOT EXISTS budget_spend_stale ON budget_spend(state, reserved_at_ms);
CREATE INDEX IF NOT EXISTS budget_spend_month ON budget_spend(month);
CREATE TABLE IF NOT EXISTS budget_totals (
  subject TEXT NOT NULL,
  period TEXT NOT NULL,
  usd_nanos INTEGER NOT NULL,
  PRIMARY KEY (subject, period)
) WITHOUT ROWID;
`;

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

export function prepareBudgetStatements(db: Database.Database) {
  return {
    getRow: db.prepare('SELECT * FROM budget_spend WHERE request_id = ?'),
    insertRow: db.prepare(`INSERT INTO budget_spend
      (request_id, caller, team, day, month, state, usd_nanos, decision, soft_budget, soft_fraction, reserved_at_ms)
      VALUES (@requestId, @caller, @team, @day, @month, 'reserved', @usdNanos, @decision, @softBudget, @softFraction, @nowMs)`),
    settleRow: db.prepare(`UPDATE budget_spend SET state = 'settled', usd_nanos = ?, settled_at_ms = ? WHERE request_id = ?`),
    expireRow: db.prepare(`UPDATE budget_spend SET state = 'expired', usd_nanos = 0 WHERE request_id = ?`),
    deleteRow: db.prepare('DELETE FROM budget_spend WHERE request_id = ?'),
    staleRows: db.prepare(`SELECT * FROM budget_spend WHERE state = 'reserved' AND reserved_at_ms < ?`),
    getTotal: db.prepare('SELECT usd_nanos FROM budget_totals WHERE subject = ? AND period = ?').pluck(),
    addTotal: db.prepare(`INSERT INTO budget_totals (subject, period, usd_nanos) VALUES (?, ?, ?)
      ON CONFLICT(subject, period) DO UPDATE SET usd_nanos = usd_nanos + excluded.usd_nanos`),
    pruneRows: db.prepare('DELETE FROM budget_spend WHERE month < ?'),
    pruneTotals: db.prepare(`DELETE FROM budget_totals
      WHERE (period LIKE 'day:%' AND substr(period, 5, 7) < ?) OR (period LIKE 'month:%' AND substr(period, 7) < ?)`),
  };
}

export type BudgetStatements = ReturnType<typeof prepareBudgetStatements>;
