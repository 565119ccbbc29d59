import type { Db } from '../db';
import type { ComparisonRecord, LedgerSampleRow } from '../canary/samples';

/**
 * Shadow comparisons (`comparisons` table, one row per shadowed request, idempotent on the request
 * id) and the ledger reads the canary report and automatic rollback need. Tables and indexes: the
 * migrations (src/db/schema.ts).
 */
type Row = Record<string, any>;

export interface Window {
  route: string;
  /** ISO time: rows created at or after it. */
  since: string;
  /** Only rows decided by this route-table version or later. */
  minVersion?: number;
}

export class ComparisonStore {
  constructor(private readonly db: Db) {}

  /** Writes the pair; false when it was there already (a retried activity). */
  async record(c: ComparisonRecord): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO comparisons (request_id, route, route_table_version, primary_model, candidate_model, primary_ok, primary_error,
        primary_latency_ms, primary_cost_usd, primary_valid, candidate_ok, candidate_error, candidate_latency_ms, candidate_cost_usd,
        candidate_valid, agreement, agreement_method)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (request_id) DO NOTHING`,
      [c.requestId, c.route, c.routeTableVersion, c.primaryModel, c.candidateModel, bit(c.primaryOk), c.primaryError, int(c.primaryLatencyMs),
        c.primaryCostUsd, bit(c.primaryValid), bit(c.candidateOk), c.candidateError, int(c.candidateLatencyMs), c.candidateCostUsd,
        bit(c.candidateValid), c.agreement, c.agreementMethod],
    );
    return changed > 0;
  }

  async get(requestId: string): Promise<ComparisonRecord | undefined> {
    const r = await this.db.get<Row>('SELECT * FROM comparisons WHERE request_id = ?', [requestId]);
    return r ? toRecord(r) : undefined;
  }

  async comparisons(w: Window): Promise<ComparisonRecord[]> {
    const rows = await this.db.all<Row>(
      'SELECT * FROM comparisons WHERE route = ? AND created_at >= ? AND coalesce(route_table_version, 0) >= ? ORDER BY created_at',
      [w.route, w.since, w.minVersion ?? 0],
    );
    return rows.map(toRecord);
  }

  /** The route's ledger rows in the window (the split's both sides). */
  requests(w: Window, stage?: 'canary'): Promise<LedgerSampleRow[]> {
    const stageFilter = stage ? `AND stage = 'canary'` : '';
    return this.db.all<LedgerSampleRow>(
      `SELECT stage, status, latency_ms, cost_usd, attempts, review, created_at, route_table_version FROM requests
       WHERE route = ? AND created_at >= ? AND coalesce(route_table_version, 0) >= ? ${stageFilter} ORDER BY created_at`,
      [w.route, w.since, w.minVersion ?? 0],
    );
  }
}

function bit(b: boolean | null): number | null {
  return b === null ? null : b ? 1 : 0;
}

function int(n: number | null | undefined): number | null {
  return n === null || n === undefined ? null : Math.round(n);
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
