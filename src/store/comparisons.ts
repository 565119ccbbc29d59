import Database from 'better-sqlite3';
import type { ComparisonRecord, LedgerSampleRow } from '../canary/samples';

/**
 * Shadow comparisons (`comparisons` table, one row per shadowed request, idempotent on the request
 * id) and the ledger reads the canary report and automatic rollback need. Its own connection to
 * the ledger database; tables and indexes created when missing.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS comparisons (
  request_id TEXT PRIMARY KEY, route TEXT NOT NULL, route_table_version INTEGER,
  primary_model TEXT, candidate_model TEXT NOT NULL,
  primary_ok INTEGER, primary_error TEXT, primary_latency_ms INTEGER, primary_cost_usd REAL, primary_valid INTEGER,
  candidate_ok INTEGER NOT NULL, candidate_error TEXT, candidate_latency_ms INTEGER, candidate_cost_usd REAL, candidate_valid INTEGER,
  agreement REAL, agreement_method TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE INDEX IF NOT EXISTS comparisons_route ON comparisons(route, created_at);
`;

/** The ledger's requests table may not exist yet on this connection's first open (the Ledger creates it). */
const LEDGER_INDEX = 'CREATE INDEX IF NOT EXISTS requests_route ON requests(route, created_at)';

type Row = Record<string, any>;

export interface Window {
  route: string;
  /** ISO time: rows created at or after it. */
  since: string;
  /** Only rows decided by this route-table version or later. */
  minVersion?: number;
}

export class ComparisonStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    if (this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'`).get()) this.db.exec(LEDGER_INDEX);
  }

  /** Writes the pair; false when it was there already (a retried activity). */
  record(c: ComparisonRecord): boolean {
    const { changes } = this.db
      .prepare(
        `INSERT INTO comparisons (request_id, route, route_table_version, primary_model, candidate_model, primary_ok, primary_error,
          primary_latency_ms, primary_cost_usd, primary_valid, candidate_ok, candidate_error, candidate_latency_ms, candidate_cost_usd,
          candidate_valid, agreement, agreement_method)
         VALUES (@requestId, @route, @routeTableVersion, @primaryModel, @candidateModel, @primaryOk, @primaryError, @primaryLatencyMs,
          @primaryCostUsd, @primaryValid, @candidateOk, @candidateError, @candidateLatencyMs, @candidateCostUsd, @candidateValid,
          @agreement, @agreementMethod)
         ON CONFLICT(request_id) DO NOTHING`,
      )
      .run({ ...c, primaryOk: bit(c.primaryOk), primaryValid: bit(c.primaryValid), candidateOk: bit(c.candidateOk), candidateValid: bit(c.candidateValid) });
    return changes > 0;
  }

  get(requestId: string): ComparisonRecord | undefined {
    const r = this.db.prepare('SELECT * FROM comparisons WHERE request_id = ?').get(requestId) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  comparisons(w: Window): ComparisonRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM comparisons WHERE route = ? AND created_at >= ? AND coalesce(route_table_version, 0) >= ? ORDER BY created_at')
      .all(w.route, w.since, w.minVersion ?? 0) as Row[];
    return rows.map(toRecord);
  }

  /** The route's ledger rows in the window (the split's both sides). */
  requests(w: Window, stage?: 'canary'): LedgerSampleRow[] {
    const stageFilter = stage ? `AND stage = 'canary'` : '';
    return this.db
      .prepare(
        `SELECT stage, status, latency_ms, cost_usd, attempts, review, created_at, route_table_version FROM requests
         WHERE route = ? AND created_at >= ? AND coalesce(route_table_version, 0) >= ? ${stageFilter} ORDER BY created_at`,
      )
      .all(w.route, w.since, w.minVersion ?? 0) as LedgerSampleRow[];
  }

  close(): void {
    this.db.close();
  }
}

function bit(b: boolean | null): number | null {
  return b === null ? null : b ? 1 : 0;
}

function bool(n: number | null): boolean | null {
  return n === null ? null : n === 1;
}

function toRecord(r: Row): ComparisonRecord {
  return {
    requestId: r.request_id,
    route: r.route,
    routeTableVersion: r.route_table_version,
    primaryModel: r.primary_model,
    candidateModel: r.candidate_model,
    primaryOk: bool(r.primary_ok),
    primaryError: r.primary_error,
    primaryLatencyMs: r.primary_latency_ms,
    primaryCostUsd: r.primary_cost_usd,
    primaryValid: bool(r.primary_valid),
    candidateOk: r.candidate_ok === 1,
    candidateError: r.candidate_error,
    candidateLatencyMs: r.candidate_latency_ms,
    candidateCostUsd: r.candidate_cost_usd,
    candidateValid: bool(r.candidate_valid),
    agreement: r.agreement,
    agreementMethod: r.agreement_method,
    createdAt: r.created_at,
  };
}
