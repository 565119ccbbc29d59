import type { AttemptRecord } from '../temporal/contract';

/**
 * Pure: ledger rows and comparison rows turned into per-side outcomes, the unit every canary
 * figure (report, automatic rollback) is computed from.
 */
export interface SideOutcome {
  /** The side's model gave no answer (every try failed), or the side's request failed without one. */
  error: boolean;
  /** The answer's validation; null when none ran. */
  valid: boolean | null;
  /** The side's model call that answered (ms; the whole request when the attempt does not say); null without an answer. */
  latencyMs: number | null;
  costUsd: number | null;
  /** The reviewer's decision, when the answer was held. */
  review: 'approve' | 'edit' | 'reject' | null;
}

/** The ledger columns a canary figure needs (`requests` table). */
export interface LedgerSampleRow {
  stage: string | null;
  status: string;
  latency_ms: number;
  cost_usd: number | null;
  attempts: string;
  review: string | null;
  created_at: string;
  route_table_version: number | null;
}

/** One shadow pair as the `comparisons` table keeps it. */
export interface ComparisonRecord {
  requestId: string;
  route: string;
  routeTableVersion: number | null;
  primaryModel: string | null;
  candidateModel: string;
  /** null: the primary's outcome could not be learned (e.g. still held for review). */
  primaryOk: boolean | null;
  primaryError: string | null;
  primaryLatencyMs: number | null;
  primaryCostUsd: number | null;
  primaryValid: boolean | null;
  candidateOk: boolean;
  candidateError: string | null;
  candidateLatencyMs: number | null;
  candidateCostUsd: number | null;
  candidateValid: boolean | null;
  /** 0..1; null when either side had no answer. */
  agreement: number | null;
  agreementMethod: string | null;
  createdAt?: string;
}

/** Requests that reached a model: denied, cancelled and never-called ones say nothing about it. */
export function countsForCanary(row: LedgerSampleRow): boolean {
  return (row.status === 'completed' || row.status === 'failed') && row.attempts !== '[]';
}

/** The request's first planned model is its side (the canary model first = the candidate side). */
export function requestOutcome(row: LedgerSampleRow): SideOutcome {
  const attempts = parseJson<AttemptRecord[]>(row.attempts) ?? [];
  const model = attempts[0]?.model;
  const own = attempts.filter((a) => a.model === model);
  const answered = own.find((a) => a.outcome === 'ok' || a.error === 'OutputValidationFailed');
  const checked = own.find((a) => a.validation);
  const decision = parseJson<{ decision?: { action?: SideOutcome['review'] } }>(row.review)?.decision?.action ?? null;
  return {
    error: answered === undefined,
    valid: checked?.validation ? checked.validation.ok : null,
    latencyMs: answered ? (answered.latencyMs ?? row.latency_ms) : null,
    costUsd: row.cost_usd,
    review: decision,
  };
}

export function comparisonSides(c: ComparisonRecord): { primary: SideOutcome | undefined; candidate: SideOutcome } {
  const primary: SideOutcome | undefined =
    c.primaryOk === null
      ? undefined
      : { error: !c.primaryOk, valid: c.primaryValid, latencyMs: c.primaryLatencyMs, costUsd: c.primaryCostUsd, review: null };
  const candidate: SideOutcome = { error: !c.candidateOk, valid: c.candidateValid, latencyMs: c.candidateLatencyMs, costUsd: c.candidateCostUsd, review: null };
  return { primary, candidate };
}

function parseJson<T>(text: string | null): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
