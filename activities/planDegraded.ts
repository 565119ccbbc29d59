import { parseDuration } from '../src/config/duration';
import type { Config } from '../src/config/schema';
import { MIN_ANSWER_TOKENS } from '../src/cost';
import { GatewayError } from '../src/errors';
import type { Reservation } from '../src/limits';
import { offerDegraded, planRefusalReason, takeDegraded, type Candidate, type DegradedPlan, type PlanRequest, type RoutePlan } from '../src/routing';
import { callSettings } from '../src/routing/callSettings';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { capToReservation, estimateFor, planContext, type PlanInput } from './plan';
import type { ConfigSnapshot } from './snapshot';

/** The route's reduced-output plan (src/routing/degraded.ts), planned like any candidate on the request's snapshot. */

/** The route's reduced-output offer for this request (src/routing/planDegraded.ts). */
export function offerOn(req: PlanRequest, a: Admission, snap: ConfigSnapshot, deps: ActivityDeps): DegradedPlan | undefined {
  const { route, ctx } = planContext(a.route, snap, deps);
  return offerDegraded(req, route, ctx, a.degraded);
}

/** Beside a normal plan: the degraded model must fit what the budget reserved for the request, like every candidate. */
export function withAffordable(offer: DegradedPlan, input: PlanInput, config: Config, reserved: Reservation): DegradedPlan {
  const c = offer.candidate;
  if (!c || !reserved.limited) return offer;
  const [capped] = capToReservation({ candidates: [c], explanation: '' }, reserved, { ...input.admission, maxOutputTokens: c.maxOutputTokens ?? input.admission.maxOutputTokens }, config).candidates;
  return withCandidate(offer, capped);
}

/** The offer with this degraded model (as capped or reserved), or none. */
function withCandidate(offer: DegradedPlan, c: Candidate | undefined): DegradedPlan {
  const copy = { ...offer };
  delete copy.candidate;
  return c ? { ...copy, candidate: c } : copy;
}

/**
 * Planning refused the normal plan: when the refusal is a reason the route's degraded plan takes
 * (src/routing/degraded.ts), a plan with no normal candidate and the degraded one (its budget
 * reserved), else the refusal as it was.
 */
export async function degradedInstead(err: unknown, req: PlanRequest, offer: DegradedPlan | undefined, input: PlanInput, snap: ConfigSnapshot, deps: ActivityDeps): Promise<RoutePlan> {
  const reason = err instanceof GatewayError ? planRefusalReason(err.code) : undefined;
  if (!(err instanceof GatewayError) || !offer || !takeDegraded(offer, input.admission.degraded, reason)) throw err;
  const candidate = offer.candidate && (await reserveFor(offer.candidate, input, snap.config, deps));
  if (!candidate && !offer.answer) throw err;
  const { route } = planContext(input.admission.route, snap, deps);
  deps.logger.warn({ requestId: input.requestId, route: route.name, reason, refused: err.code }, 'normal plan refused: degraded plan taken');
  const left = { model: route.primary, code: err.code, status: err.status, message: err.message };
  const taken = candidate ? `${candidate.model} (answer capped at ${candidate.maxOutputTokens} tokens)` : 'fixed answer';
  return {
    route: route.name,
    candidates: [],
    ...callSettings(route, parseDuration),
    retries: route.retries,
    stage: 'stable',
    explanation: `task=${req.task} risk=${req.risk} sensitivity=${req.dataClass} latency=${req.latency} → route ${route.name}: degraded (${reason}): ${taken}; ${err.message}`,
    degraded: { ...withCandidate(offer, candidate), taken: reason, left },
  };
}

/** The degraded model's own reservation (capped to it under a budget); undefined when the budget cannot pay even for it. */
async function reserveFor(c: Candidate, input: PlanInput, config: Config, deps: ActivityDeps): Promise<Candidate | undefined> {
  const a = input.admission;
  const cap = c.maxOutputTokens ?? a.maxOutputTokens;
  const minUsd = estimateFor(c, a.promptTokens, Math.min(MIN_ANSWER_TOKENS, cap), config);
  let reserved: Reservation;
  try {
    reserved = await deps.limits.reserve(input.requestId, a.caller, a.team, c.estimatedCostUsd ?? 0, minUsd);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'budget_exceeded') return undefined;
    throw err;
  }
  if (!reserved.limited) return c;
  return capToReservation({ candidates: [c], explanation: '' }, reserved, { ...a, maxOutputTokens: cap }, config).candidates[0];
}
