import Database from 'better-sqlite3';
import type { UsageBy, UsageCell } from '../reports/usage';

/**
 * The usage report's one read of the ledger (`requests`): a single scan of the window, grouped in
 * SQL by (group, UTC day, latency bucket, block reason), so what leaves SQLite is a small histogram,
 * never the rows. Shaping and percentiles are pure (src/reports/usage.ts). Its own connection, like
 * the comparison store; the covering index `requests_usage_v2` is the Ledger's (src/store/ledger.ts).
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
  private readonly db: Database.Database;
  private readonly queries = new Map<UsageBy, Database.Statement>();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
  }

  /** The window's histogram cells (created_at in [since, until)). */
  cells(by: UsageBy, since: string, until: string): UsageCell[] {
    return this.statement(by).all({ since, until }) as UsageCell[];
  }

  private statement(by: UsageBy): Database.Statement {
    let s = this.queries.get(by);
    if (!s) {
      const col = COLUMN[by];
      s = this.db.prepare(`SELECT ${col} AS key, substr(created_at, 1, 10) AS day, ${BUCKET} AS latencyMs,
          CASE WHEN status = 'denied' THEN coalesce(error_code, 'unknown') END AS block,
          count(*) AS requests,
          sum(status = 'failed') AS errors,
          sum(status = 'denied') AS denied,
          coalesce(sum(prompt_tokens), 0) AS promptTokens,
          coalesce(sum(completion_tokens), 0) AS completionTokens,
          coalesce(sum(cost_usd), 0) AS costUsd,
          coalesce(sum(fallback), 0) AS fallbacks,
          coalesce(sum(cache_hit), 0) AS cacheHits,
          coalesce(sum(saved_cost_usd), 0) AS savedCostUsd
        FROM requests INDEXED BY requests_usage_v2 WHERE created_at >= @since AND created_at < @until
        GROUP BY key, day, latencyMs, block`);
      this.queries.set(by, s);
    }
    return s;
  }

  close(): void {
    this.db.close();
  }
}
