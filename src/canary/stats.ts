import type { SideOutcome } from './samples';

/** Pure: one side's figures; a rate with nothing to count is null (shown as n/a). */
export interface SideStats {
  requests: number;
  errorRate: number | null;
  /** Over answers that were validated. */
  validationPassRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  costPerRequestUsd: number | null;
  /** Over answers a reviewer decided. */
  reviewEditRate: number | null;
  reviewRejectRate: number | null;
}

export function sideStats(outcomes: readonly SideOutcome[]): SideStats {
  const validated = outcomes.filter((o) => o.valid !== null);
  const reviewed = outcomes.filter((o) => o.review !== null);
  const latencies = outcomes.map((o) => o.latencyMs).filter((l): l is number => l !== null);
  const costs = outcomes.map((o) => o.costUsd).filter((c): c is number => c !== null);
  return {
    requests: outcomes.length,
    errorRate: rate(outcomes.filter((o) => o.error).length, outcomes.length),
    validationPassRate: rate(validated.filter((o) => o.valid).length, validated.length),
    p50LatencyMs: percentile(latencies, 50),
    p95LatencyMs: percentile(latencies, 95),
    costPerRequestUsd: costs.length === 0 ? null : costs.reduce((a, b) => a + b, 0) / costs.length,
    reviewEditRate: rate(reviewed.filter((o) => o.review === 'edit').length, reviewed.length),
    reviewRejectRate: rate(reviewed.filter((o) => o.review === 'reject').length, reviewed.length),
  };
}

export function rate(count: number, of: number): number | null {
  return of === 0 ? null : count / of;
}

/** Nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
