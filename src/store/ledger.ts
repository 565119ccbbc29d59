import type { Db } from '../db';
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

const INSERT = `INSERT INTO requests
  (request_id, caller, team, task, route, model, status, error_code, prompt_tokens, completion_tokens,
   total_tokens, latency_ms, attempts, explanation, cost_usd, risk, data_class, sensitive_kinds, stage,
   validation, review, reviewer, route_table_version, warnings, operation, degraded, fallback, cache_hit, saved_cost_usd)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (request_id) DO NOTHING`;

const COUNT_REFUSAL = `INSERT INTO refusals (minute, caller, team, code, status, count) VALUES (?, ?, ?, ?, ?, 1)
  ON CONFLICT (minute, caller, team, code) DO UPDATE SET count = refusals.count + 1`;

/** The usage ledger: the `requests` and `refusals` tables of the process's database (src/db). */
export class Ledger {
  constructor(private readonly db: Db) {}

  /** Counted in this UTC minute (`2025-06-01T12:34`). */
  async refused(r: Refusal, now: Date = new Date()): Promise<void> {
    await this.db.run(COUNT_REFUSAL, [now.toISOString().slice(0, 16), r.caller ?? '', r.team ?? '', r.code, r.status]);
  }

  /** Front-door refusals, newest minute first (empty caller/team = not known). */
  async refusals(limit = 1000): Promise<RefusalCount[]> {
    const rows = await this.db.all<RefusalCount>('SELECT * FROM refusals ORDER BY minute DESC, caller, code LIMIT ?', [limit]);
    return rows.map((r) => ({ ...r, caller: r.caller || null, team: r.team || null }));
  }

  /** Writes the request's row; false when it was already there (a retried activity, a replayed workflow). */
  async record(row: LedgerRow, costUsd: number | null = null): Promise<boolean> {
    // ON CONFLICT DO NOTHING: the first record of a request id wins; retries and replays are no-ops.
    const changes = await this.db.run(INSERT, [
      row.requestId,
      row.caller,
      row.team,
      row.task,
      row.route,
      row.model,
      row.status,
      row.errorCode,
      row.usage?.prompt_tokens ?? null,
      row.usage?.completion_tokens ?? null,
      row.usage?.total_tokens ?? null,
      Math.round(row.latencyMs),
      JSON.stringify(row.attempts.map(attemptFacts)),
      row.explanation,
      costUsd,
      row.risk ?? null,
      row.dataClass ?? null,
      row.sensitiveKinds?.length ? row.sensitiveKinds.join(',') : null,
      row.stage ?? null,
      validationOutcomes(row),
      row.review ? JSON.stringify(reviewFacts(row.review)) : null,
      row.review?.decision?.by ?? null,
      row.routeTableVersion ?? null,
      row.warnings?.length ? JSON.stringify(row.warnings) : null,
      row.operation ?? null,
      row.degraded ?? null,
      fallbackOf(row),
      row.cacheHit ? 1 : null,
      row.cacheHit?.savedCostUsd ?? null,
    ]);
    return changes > 0;
  }

  get(requestId: string): Promise<LedgerEntry | undefined> {
    return this.db.get<LedgerEntry>('SELECT * FROM requests WHERE request_id = ?', [requestId]);
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
