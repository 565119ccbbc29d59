import type { Usage } from '../src/config/api';
import { costOf, priceFor, priceOverridesFromModels } from '../src/cost';
import type { FeedbackFacts } from '../src/feedback/schema';
import type { LedgerRow, RowOnAnswer } from '../src/temporal/contract';
import { GatewayError, toFailure } from '../src/errors';
import { refusalKind } from '../src/metrics/labels';
import type { ActivityDeps } from './deps';

export interface Recorded {
  costUsd: number;
}

export function createLedgerActivities(deps: ActivityDeps) {
  return {
    /** The ledger step of a request whose end the provider call did not record itself (see RowOnAnswer). */
    async recordOutcome(row: LedgerRow): Promise<Recorded> {
      return writeOutcome(deps, row);
    },
    /** An end user's feedback (workflows/feedback.ts): the ledger row, counted once per feedback run. */
    async recordFeedback(facts: FeedbackFacts): Promise<void> {
      // Not retried: a worker without the store would fail the same way forever.
      if (!deps.feedback) throw toFailure(new GatewayError('Internal', 'internal_error', 'this worker has no feedback store'));
      if (await deps.feedback.record(facts)) deps.metrics?.feedbackGiven(facts);
    },
  };
}

/**
 * Prices the answer from the provider's reported usage, settles (or releases) the budget
 * reservation and writes the ledger row. Idempotent on the request id: a retried activity or a
 * replayed workflow leaves one row and one settlement.
 */
export async function writeOutcome(deps: ActivityDeps, row: LedgerRow): Promise<Recorded> {
  const costUsd = row.usage && row.pricedAs ? priceOf(deps, row.usage, row.pricedAs) : 0;
  if (row.status === 'completed') await deps.limits.settle(row.requestId, costUsd);
  else await deps.limits.release(row.requestId);
  // Counted once: a retried activity finds its row already written and counts nothing.
  if (await deps.ledger.record(row, costUsd)) {
    countOutcome(deps, row, costUsd);
    logRefusal(deps, row);
  }
  // A canary outcome may trip the route's automatic rollback (checked off this request's path).
  if (row.stage === 'canary' && row.route) deps.release?.autoRollback.afterOutcome(row.route, 'canary');
  return { costUsd };
}

/** Every request's end passes here once its row is written: the metrics count it (never failing the write). */
function countOutcome(deps: ActivityDeps, row: LedgerRow, costUsd: number): void {
  try {
    deps.metrics?.requestEnded(row, costUsd);
  } catch (err) {
    deps.logger.warn({ err }, 'could not count a request in the metrics');
  }
}

/** A refused request is logged once, with whom and why (names and codes only, never content). */
function logRefusal(deps: ActivityDeps, row: LedgerRow): void {
  const kind = refusalKind(row.status, row.errorCode);
  if (!kind) return;
  const { requestId, caller, team, task, route, status, errorCode: code } = row;
  deps.logger.info({ requestId, caller, team, task, route, status, code, refusal: kind, sensitiveKinds: row.sensitiveKinds }, 'request refused');
}

/** What the answering try itself measured: its latency (a number, as before) and the chunks it skipped. */
export type TryMeasured = number | { latencyMs: number; skippedChunks?: number };

/** The row of a request that ends with this answer: its usage, this try's latency, the request's. */
export function rowForAnswer({ row, workflowStartMs }: RowOnAnswer, completion: { usage?: Usage }, measured: TryMeasured, nowMs: number): LedgerRow {
  const { latencyMs, skippedChunks } = typeof measured === 'number' ? { latencyMs: measured, skippedChunks: 0 } : measured;
  const last = row.attempts.length - 1;
  const attempts = row.attempts.map((a, i) => (i === last ? { ...a, latencyMs, ...(skippedChunks ? { skippedChunks } : {}) } : a));
  return { ...row, usage: completion.usage ?? null, attempts, latencyMs: Math.max(0, nowMs - workflowStartMs) };
}

/** What a usage cost on the model that answered (the catalogue's own prices win over the price table). */
export function priceOf(deps: ActivityDeps, usage: Usage, pricedAs: NonNullable<LedgerRow['pricedAs']>): number {
  return costOf(usage, priceFor(pricedAs.providerKind, pricedAs.upstream, priceOverridesFromModels(deps.config().models)));
}
