import type { DegradedChoice } from '../config/degraded';
import type { RouteConfig } from '../config/schema';
import { degradedCap, type DegradedPlan } from './degraded';
import { candidateFor, type PlanContext, type PlanRequest } from './planRoute';

/**
 * Pure: the route's reduced-output offer for this request. The degraded model is planned like any
 * candidate (approved, data class, private, caller allowlist, kill switch, breaker, cost limit) with
 * its lower cap; a model that may not serve the request is left out and only the fixed answer, if
 * any, remains. Chat only: embeddings have no reduced output.
 */
export function offerDegraded(req: PlanRequest, route: RouteConfig, ctx: PlanContext, choice?: DegradedChoice): DegradedPlan | undefined {
  const d = route.degraded;
  if (!d || req.operation === 'embeddings') return undefined;
  const offer: DegradedPlan = { when: d.when, callerOptIn: d.callerOptIn, ...(choice ? { choice } : {}), ...(d.answer ? { answer: d.answer } : {}) };
  if (d.model) {
    const cap = degradedCap(d.maxTokens, req.maxOutputTokens);
    const c = candidateFor({ ...req, maxOutputTokens: cap, downgrade: false }, route, d.model, ctx);
    if (typeof c !== 'string') offer.candidate = { ...c, maxOutputTokens: cap };
    else offer.skipped = `${d.model}: ${c}`;
  }
  return offer;
}
