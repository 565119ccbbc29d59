import Database from 'better-sqlite3';
import { privateFile } from './privateFiles';
import type { ReviewState } from '../review/types';
import type { AttemptRecord, LedgerRow } from '../temporal/contract';

/** One row per request id: what ran, for whom, on which model, with what usage and outcome. */
export interface LedgerEntry {
  request_id: string;
  caller: string | null;
  team: string | null;
  task: string | null;
  route: string | null;
  model: string | null;
  status: string;
  error_code: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  latency_ms: number;
  attempts: string;
  explanation: string | null;
  created_at: string;
  cost_usd: number | null;
  risk: string | null;
  data_class: string | null;
  sensitive_kinds: string | null;
  stage: string | null;
  /** JSON: every validation outcome, one per checked answer ({model, ok, summary, failed}). */
  validation: string | null;
  /** JSON: why the request was held, its deadline and the decision (reviewer, time, comment or reason). */
  review: string | null;
  /** Who decided the review (`deadline` when the route's onTimeout did). */
  reviewer: string | null;
  /** The route-table version that planned the request (src/store/releaseStore.ts). */
  route_table_version: number | null;
  /** JSON: what the answering provider could not honour (e.g. a request field it does not support). */
  warnings: string | null;
  /** `embeddings` for POST /v1/embeddings; null for chat (and rows written before it existed). */
  operation: string | null;
  /** Why the route's reduced-output plan answered (`unavailable`, `over_budget`); null: the normal plan did. */
  degraded: string | null;
  /** 1: answered (or last tried) on another model than the first attempt's; for the usage report. */
  fallback: number | null;
  /** 1: answered from the route's response cache (cost 0). */
  cache_hit: number | null;
  /** What the cached answer would have cost fresh (priced as the model that made it). */
  saved_cost_usd: number | null;
}

/** Columns added after the first release: created on open when missing (additive migrations only). */
const ADDED_COLUMNS: Array<[string, string]> = [
  ['cost_usd', 'REAL'],
  ['risk', 'TEXT'],
  ['data_class', 'TEXT'],
  ['sensitive_kinds', 'TEXT'],
  ['stage', 'TEXT'],
  ['validation', 'TEXT'],
  ['review', 'TEXT'],
  ['reviewer', 'TEXT'],
  ['route_table_version', 'INTEGER'],
  ['warnings', 'TEXT'],
  ['operation', 'TEXT'],
  ['degraded', 'TEXT'],
  ['fallback', 'INTEGER'],
  ['cache_hit', 'INTEGER'],
  ['saved_cost_usd', 'REAL'],
];

/** Filled once for the rows written before the column existed (the same rule as `fallbackOf`). */
const BACKFILL: Record<string, string> = {
  fallback: `UPDATE requests SET fallback = (model IS NOT NULL AND json_extract(attempts, '$[0].model') IS NOT model)`,
};

/**
 * The usage report's index (src/store/usage.ts): the window's range first, then every column the
 * report reads, so a report scans the index alone, in order, and never the rows.
 */
const USAGE_INDEX = `DROP INDEX IF EXISTS requests_usage;
CREATE INDEX IF NOT EXISTS requests_usage_v2 ON requests(created_at, team, caller, task, route, model, status,
  error_code, latency_ms, prompt_tokens, completion_tokens, cost_usd, fallback, cache_hit, saved_cost_usd)`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY,
  caller TEXT,
  team TEXT,
  task TEXT,
  route TEXT,
  model TEXT,
  status TEXT NOT NULL,
  error_code TEXT,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  total_tokens INTEGER,
  latency_ms INTEGER NOT NULL,
  attempts TEXT NOT NULL,
  explanation TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX IF NOT EXISTS requests_caller ON requests(caller, created_at);
CREATE INDEX IF NOT EXISTS requests_team ON requests(team, created_at);
CREATE TABLE IF NOT EXISTS refusals (
  minute TEXT NOT NULL,
  caller TEXT NOT NULL DEFAULT '',
  team TEXT NOT NULL DEFAULT '',
  code TEXT NOT NULL,
  status INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (minute, caller, team, code)
);
`;

/**
 * A request refused at the front door before any workflow (no key, bad key, missing role, over the
 * rate limit). No content, no key: who (when known) and why. Counted per minute, so a flood of bad
 * keys grows the ledger by one row per minute and code, not one per request.
 */
export interface Refusal {
  caller: string | null;
  team: string | null;
  code: string;
  status: number;
}

export interface RefusalCount extends Refusal {
  minute: string;
  count: number;
}

/** The usage ledger in SQLite (WAL, so readers never block the writer). */
export class Ledger {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly countRefusal: Database.Statement;

  constructor(readonly file: string) {
    privateFile(file); // 0600 before SQLite opens it: its -wal and -shm take the same mode
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.addMissingColumns();
    this.db.exec(USAGE_INDEX);
    // ON CONFLICT DO NOTHING: the first record of a request id wins; retries and replays are no-ops.
    this.insert = this.db.prepare(`INSERT INTO requests
      (request_id, caller, team, task, route, model, status, error_code, prompt_tokens, completion_tokens,
       total_tokens, latency_ms, attempts, explanation, cost_usd, risk, data_class, sensitive_kinds, stage,
       validation, review, reviewer, route_table_version, warnings, operation, degraded, fallback, cache_hit, saved_cost_usd)
      VALUES (@requestId, @caller, @team, @task, @route, @model, @status, @errorCode, @promptTokens,
       @completionTokens, @totalTokens, @latencyMs, @attempts, @explanation, @costUsd, @risk, @dataClass,
       @sensitiveKinds, @stage, @validation, @review, @reviewer, @routeTableVersion, @warnings, @operation, @degraded, @fallback, @cacheHit, @savedCostUsd)
      ON CONFLICT(request_id) DO NOTHING`);
    this.countRefusal = this.db.prepare(`INSERT INTO refusals (minute, caller, team, code, status, count)
      VALUES (strftime('%Y-%m-%dT%H:%M','now'), @caller, @team, @code, @status, 1)
      ON CONFLICT(minute, caller, team, code) DO UPDATE SET count = count + 1`);
  }

  refused(r: Refusal): void {
    this.countRefusal.run({ caller: r.caller ?? '', team: r.team ?? '', code: r.code, status: r.status });
  }

  /** Front-door refusals, newest minute first (empty caller/team = not known). */
  refusals(limit = 1000): RefusalCount[] {
    const rows = this.db.prepare('SELECT * FROM refusals ORDER BY minute DESC, caller, code LIMIT ?').all(limit) as RefusalCount[];
    return rows.map((r) => ({ ...r, caller: r.caller || null, team: r.team || null }));
  }

  /** Writes the request's row; false when it was already there (a retried activity, a replayed workflow). */
  record(row: LedgerRow, costUsd: number | null = null): boolean {
    const { changes } = this.insert.run({
      costUsd,
      risk: row.risk ?? null,
      dataClass: row.dataClass ?? null,
      sensitiveKinds: row.sensitiveKinds?.length ? row.sensitiveKinds.join(',') : null,
      stage: row.stage ?? null,
      validation: validationOutcomes(row),
      review: row.review ? JSON.stringify(reviewFacts(row.review)) : null,
      reviewer: row.review?.decision?.by ?? null,
      routeTableVersion: row.routeTableVersion ?? null,
      warnings: row.warnings?.length ? JSON.stringify(row.warnings) : null,
      operation: row.operation ?? null,
      degraded: row.degraded ?? null,
      fallback: fallbackOf(row),
      cacheHit: row.cacheHit ? 1 : null,
      savedCostUsd: row.cacheHit?.savedCostUsd ?? null,
      requestId: row.requestId,
      caller: row.caller,
      team: row.team,
      task: row.task,
      route: row.route,
      model: row.model,
      status: row.status,
      errorCode: row.errorCode,
      promptTokens: row.usage?.prompt_tokens ?? null,
      completionTokens: row.usage?.completion_tokens ?? null,
      totalTokens: row.usage?.total_tokens ?? null,
      latencyMs: row.latencyMs,
      attempts: JSON.stringify(row.attempts.map(attemptFacts)),
      explanation: row.explanation,
    });
    return changes > 0;
  }

  get(requestId: string): LedgerEntry | undefined {
    return this.db.prepare('SELECT * FROM requests WHERE request_id = ?').get(requestId) as LedgerEntry | undefined;
  }

  private addMissingColumns(): void {
    const have = new Set((this.db.prepare('PRAGMA table_info(requests)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) {
      if (have.has(name)) continue;
      this.db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${type}`);
      if (BACKFILL[name]) this.db.exec(BACKFILL[name]);
    }
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The ledger keeps codes and names, never request content (issue 12, item 9): provider error text
 * (`message`), which can quote the prompt or the caller's strings, stays in the encrypted history.
 */
function attemptFacts(a: AttemptRecord): AttemptRecord {
  const facts: AttemptRecord = { ...a };
  delete facts.message;
  return facts;
}

/** Review facts without the reviewer's free text (comment, reject reason, refusal messages). */
function reviewFacts(r: ReviewState): ReviewState {
  const { decision, refused, ...held } = r;
  const kept = decision ? { action: decision.action, by: decision.by, at: decision.at, via: decision.via, phase: decision.phase } : undefined;
  return { ...held, ...(kept ? { decision: kept } : {}), refused: refused.map(({ at, via }) => ({ at, via, reason: 'refused' })) };
}

/** 1 when the request ended on another model than its first attempt's (a fallback), else 0. */
export function fallbackOf(row: Pick<LedgerRow, 'model' | 'attempts'>): number {
  const first = row.attempts[0]?.model;
  return row.model !== null && row.model !== undefined && first !== undefined && first !== row.model ? 1 : 0;
}

/** The validation outcomes carried by the attempts, as JSON; null when no answer was checked. */
function validationOutcomes(row: LedgerRow): string | null {
  const checked = row.attempts.filter((a) => a.validation).map((a) => ({ model: a.model, ...a.validation }));
  return checked.length > 0 ? JSON.stringify(checked) : null;
}
