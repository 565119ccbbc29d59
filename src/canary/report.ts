import type { RouteConfig } from '../config/schema';
import { comparisonSides, countsForCanary, requestOutcome, type ComparisonRecord, type LedgerSampleRow } from './samples';
import { sideStats, type SideStats } from './stats';

/**
 * Pure: the canary report of one route, primary vs candidate side by side, for the split (ledger
 * rows: `stable` vs `canary` stage) and for the shadow pairs (the `comparisons` table).
 */
export interface CanaryReport {
  route: string;
  since: string;
  routeTableVersion: number;
  canary: { model: string; share: number; by: string } | null;
  shadow: { model: string; share: number; compare: string } | null;
  split: { primaryModel: string; candidateModel: string | null; primary: SideStats; candidate: SideStats };
  shadowPairs: {
    pairs: number;
    candidateModel: string | null;
    primary: SideStats;
    candidate: SideStats;
    /** Mean and lowest agreement over pairs where both sides answered. */
    agreement: { mean: number | null; min: number | null; scored: number };
  };
}

export interface ReportInput {
  route: RouteConfig;
  since: string;
  routeTableVersion: number;
  requests: readonly LedgerSampleRow[];
  comparisons: readonly ComparisonRecord[];
}

export function canaryReport(input: ReportInput): CanaryReport {
  const { route } = input;
  const rows = input.requests.filter(countsForCanary);
  const split = {
    primaryModel: route.primary,
    candidateModel: route.canary?.model ?? null,
    primary: sideStats(rows.filter((r) => r.stage !== 'canary').map(requestOutcome)),
    candidate: sideStats(rows.filter((r) => r.stage === 'canary').map(requestOutcome)),
  };
  const sides = input.comparisons.map(comparisonSides);
  const scores = input.comparisons.map((c) => c.agreement).filter((a): a is number => a !== null);
  return {
    route: route.name,
    since: input.since,
    routeTableVersion: input.routeTableVersion,
    canary: route.canary ? { model: route.canary.model, share: route.canary.share, by: route.canary.by } : null,
    shadow: route.shadow ? { model: route.shadow.model, share: route.shadow.share, compare: route.shadow.compare } : null,
    split,
    shadowPairs: {
      pairs: input.comparisons.length,
      candidateModel: route.shadow?.model ?? input.comparisons[0]?.candidateModel ?? null,
      primary: sideStats(sides.flatMap((s) => (s.primary ? [s.primary] : []))),
      candidate: sideStats(sides.map((s) => s.candidate)),
      agreement: {
        mean: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
        min: scores.length ? Math.min(...scores) : null,
        scored: scores.length,
      },
    },
  };
}
