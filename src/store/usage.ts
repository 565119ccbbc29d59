import type { Db } from '../db';
import type { UsageBy, UsageCell } from '../reports/usage';

/**
 * The usage report's one read of the ledger (`requests`): a single scan of the window, grouped in
 * SQL by (group, UTC day, latency bucket, block reason), so what leaves the database is a small
 * histogram, never the rows. Shaping and percentiles are pure (src/reports/usage.ts). The covering
 * index `requests_usage_v2` is made by the ledger's migration (src/db/schema.ts).
 */

/** The only columns a report may group by: `by` picks one of these, never text from the caller. */
const COLUMN: Record<UsageBy, string> = { team: 'team', caller: 'caller', task: 'task', route: 'route', model: 'model' };

/**
 * Latency rounded down to two significant digits (1234 ms → 1200): percentiles are exact to that,
 * and a group's day has at most a few hundred buckets, whatever the traffic.
 */
const BUCKET = `CASE WHEN latency_ms < 100 THEN latency_ms WHEN latency_ms < 1000 THEN latency_ms / 10 * 10
  WHEN latency_ms < 10000 THEN latency_ms / 100 * 100 WHEN latency_ms < 100000 THEN latency_ms / 1000 * 1000
  ELSE latency_ms / 10000 * 10000 END`;

export class UsageStore {
  private readonly queries = new Map<UsageBy, string>();

  constructor(private readonly db: Db) {}

  /** The window's histogram cells (created_at in [since, until)). */
  cells(by: UsageBy, since: string, until: string): Promise<UsageCell[]> {
    return this.db.all<UsageCell>(this.query(by), [since, until]);
  }

  private query(by: UsageBy): string {
    let q = this.queries.get(by);
    if (!q) {
      const col = COLUMN[by];
      // SQLite's planner is told to use the covering index; PostgreSQL picks it by itself.
      const index = this.db.dialect === 'sqlite' ? ' INDEXED BY requests_usage_v2' : '';
      q = `SELECT ${col} AS "key", substr(created_at, 1, 10) AS "day", ${BUCKET} AS "latencyMs",
          CASE WHEN status = 'denied' THEN coalesce(error_code, 'unknown') END AS "block",
          count(*) AS "requests",
          sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS "errors",
          sum(CASE WHEN status = 'denied' THEN 1 ELSE 0 END) AS "denied",
          coalesce(sum(prompt_tokens), 0) AS "promptTokens",
          coalesce(sum(completion_tokens), 0) AS "completionTokens",
          coalesce(sum(cost_usd), 0) AS "costUsd",
          coalesce(sum(fallback), 0) AS "fallbacks",
          coalesce(sum(cache_hit), 0) AS "cacheHits",
          coalesce(sum(saved_cost_usd), 0) AS "savedCostUsd"
        FROM requests${index} WHERE created_at >= ? AND created_at < ?
        GROUP BY 1, 2, 3, 4`;
      this.queries.set(by, q);
    }
    return q;
  }
}
