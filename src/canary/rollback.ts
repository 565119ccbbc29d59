import type { RollbackRule } from '../config/release';
import type { RouteConfig } from '../config/schema';
import type { SideOutcome } from './samples';
import { rate } from './stats';

/**
 * Pure: should the candidate's share drop to zero? Decided on the candidate's outcomes inside the
 * rule's window, once there are at least `minRequests` of them.
 */
export type RollbackDecision = { rollback: false; outcomes: number } | { rollback: true; outcomes: number; reason: string };

export function rollbackDecision(outcomes: readonly SideOutcome[], rule: RollbackRule): RollbackDecision {
  const n = outcomes.length;
  if (n < rule.minRequests) return { rollback: false, outcomes: n };
  const errors = outcomes.filter((o) => o.error).length;
  const errorRate = rate(errors, n) ?? 0;
  if (rule.maxErrorRate !== undefined && errorRate > rule.maxErrorRate) {
    return { rollback: true, outcomes: n, reason: `error rate ${pct(errorRate)} (${errors}/${n}) > ${pct(rule.maxErrorRate)} in the last ${rule.window}` };
  }
  const validated = outcomes.filter((o) => o.valid !== null);
  const invalid = validated.filter((o) => o.valid === false).length;
  const invalidRate = rate(invalid, validated.length);
  if (rule.maxValidationFailureRate !== undefined && invalidRate !== null && invalidRate > rule.maxValidationFailureRate) {
    const what = `validation failure rate ${pct(invalidRate)} (${invalid}/${validated.length})`;
    return { rollback: true, outcomes: n, reason: `${what} > ${pct(rule.maxValidationFailureRate)} in the last ${rule.window}` };
  }
  return { rollback: false, outcomes: n };
}

/**
 * Pure: the first route-table version of the unbroken run (ending at the newest) in which this
 * route's setting (`pick`, e.g. its canary block) is what it is now. Outcomes from before it belong
 * to another setting: re-opening a rolled-back canary must not be judged on its old failures.
 * `versions` newest first.
 */
export function settingSince(versions: ReadonlyArray<{ version: number; routes: readonly RouteConfig[] }>, route: string, pick: (r: RouteConfig) => unknown): number {
  const [newest, ...older] = versions;
  if (!newest) return 0;
  const setting = key(newest.routes, route, pick);
  let since = newest.version;
  for (const v of older) {
    if (key(v.routes, route, pick) !== setting) break;
    since = v.version;
  }
  return since;
}

/** The table with the route's canary (or shadow) share at zero, everything else as it was. */
export function withShareZero(routes: readonly RouteConfig[], route: string, which: 'canary' | 'shadow'): RouteConfig[] {
  return routes.map((r) => {
    if (r.name !== route) return r;
    const block = r[which];
    return block ? { ...r, [which]: { ...block, share: 0 } } : r;
  });
}

function key(routes: readonly RouteConfig[], route: string, pick: (r: RouteConfig) => unknown): string {
  const r = routes.find((x) => x.name === route);
  return JSON.stringify(r ? pick(r) ?? null : null);
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
