import type { Priority, PriorityRule } from '../config/routing';
import type { RouteConfig } from '../config/schema';
import type { Candidate } from './planRoute';

/**
 * Value-aware cost routing: a request's declared priority (what its answer is worth) picks the
 * route's rule for that priority — a cost ceiling of its own, models tried first, or the cheapest
 * approved model first. `normal` without a rule is the route as configured.
 */
export function priorityRule(route: Pick<RouteConfig, 'priorities'>, priority: Priority | undefined): PriorityRule | undefined {
  return priority ? route.priorities[priority] : undefined;
}

/** The per-request cost ceiling: the priority's own when it sets one, else the route's. */
export function costCeiling(route: Pick<RouteConfig, 'priorities' | 'maxCostUsd'>, priority: Priority | undefined): number | undefined {
  return priorityRule(route, priority)?.maxCostUsd ?? route.maxCostUsd;
}

/** The priority's models go before the route's own order (each still passes every check). */
export function withPriorityModels(names: string[], rule: PriorityRule | undefined): string[] {
  return rule?.models.length ? [...rule.models, ...names] : names;
}

/**
 * `prefer: cheapest`: candidates by estimated cost, lowest first (stable; unpriced last). A canary
 * or a requested model placed first keeps its place: `keepFirst`.
 */
export function cheapestFirst(candidates: Candidate[], rule: PriorityRule | undefined, keepFirst: boolean): Candidate[] {
  if (rule?.prefer !== 'cheapest') return candidates;
  const head = keepFirst ? candidates.slice(0, 1) : [];
  const rest = candidates.slice(head.length);
  const cost = (c: Candidate) => c.estimatedCostUsd ?? Number.POSITIVE_INFINITY;
  return [...head, ...rest.map((c, i) => ({ c, i })).sort((a, b) => cost(a.c) - cost(b.c) || a.i - b.i).map(({ c }) => c)];
}

/** The explanation's note on what the priority decided, e.g. `[priority low: cheapest first, ceiling $0.01]`. */
export function priorityNote(priority: Priority | undefined, rule: PriorityRule | undefined): string {
  if (!priority || !rule) return '';
  const parts = [
    ...(rule.models.length ? [`${rule.models.join(', ')} first`] : []),
    ...(rule.prefer === 'cheapest' ? ['cheapest first'] : []),
    ...(rule.maxCostUsd !== undefined ? [`ceiling $${rule.maxCostUsd}`] : []),
  ];
  return parts.length ? ` [priority ${priority}: ${parts.join(', ')}]` : '';
}
