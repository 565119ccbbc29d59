import type { Operation } from '../src/config/api';
import { callSettings } from '../src/routing/callSettings';
import { parseDuration } from '../src/config/duration';
import type { Config, RouteConfig } from '../src/config/schema';
import { MIN_ANSWER_TOKENS, estimateRequestCost, priceFor, priceOverridesFromModels } from '../src/cost';
import { tooManyRequests, type Reservation } from '../src/limits';
import { GatewayError } from '../src/errors';
import {
  capPlanToBudget, offerDegraded, planRefusalReason, planRoute, routeByName, takeDegraded,
  type Candidate, type DegradedPlan, type PlanContext, type PlanRequest, type RoutePlan,
} from '../src/routing';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { asFailure } from './policy';

export interface PlanInput {
  requestId: string;
  admission: Admission;
  requestedModel: string;
  /** Absent: chat. */
  operation?: Operation;
}

export interface PlannedRequest extends RoutePlan {
  /** The route-table version that decided this plan (recorded in the ledger and the response). */
  routeTableVersion?: number;
}

export function createPlanActivities(deps: ActivityDeps) {
  return {
    /**
     * Local activity: plan the candidates (every routing factor), then reserve the budget with the
     * first candidate's estimate; at a soft limit, plan again with the cheaper option first.
     */
    async planRequest(input: PlanInput): Promise<PlannedRequest> {
      return asFailure(() => {
        const a = input.admission;
        const req: PlanRequest = {
          requestId: input.requestId,
          caller: a.caller,
          task: a.task,
          requestedModel: input.requestedModel,
          risk: a.risk,
          dataClass: a.dataClass,
          latency: a.latency,
          forcePrivate: a.forcePrivate,
          promptTokens: a.promptTokens,
          maxOutputTokens: a.maxOutputTokens,
          downgrade: false,
          ...(input.operation ? { operation: input.operation } : {}),
        };
        const routeTableVersion = deps.release?.snapshot().version;
        const offer = offerOn(req, a, deps);
        try {
          const plan = normalPlan(req, input, deps);
          const degraded = offer && withAffordable(offer, input, deps, plan.reserved);
          return { ...plan.plan, ...(degraded ? { degraded } : {}), routeTableVersion };
        } catch (err) {
          // No normal plan (none available, or over budget): the route's reduced-output plan, if it takes this.
          return { ...degradedInstead(err, req, offer, input, deps), routeTableVersion };
        }
      }, () => ({ caller: input.admission.caller, team: input.admission.team, task: input.admission.task, route: input.admission.route }));
    },
  };
}

/** The route's candidates, the budget reserved for the first, capped to it under a budget; throws when none fits. */
function normalPlan(req: PlanRequest, input: PlanInput, deps: ActivityDeps): { plan: RoutePlan; reserved: Reservation } {
  const a = input.admission;
  const first = planOn(req, a.route, deps);
  warnIfDeprecated(deps, input.requestId, first);
  const larger = largerPlan(req, a.route, deps);
  const lead = first.candidates[0];
  // Not even a minimal answer on the first model fits: refused; else what is left is reserved.
  const minUsd = lead ? estimateFor(lead, a.promptTokens, Math.min(MIN_ANSWER_TOKENS, a.maxOutputTokens), deps) : 0;
  const reserved = deps.limits.reserve(input.requestId, a.caller, a.team, lead?.estimatedCostUsd ?? 0, minUsd);
  let plan = first;
  if (reserved.decision !== 'ok') {
    deps.logger.warn({ requestId: input.requestId, caller: a.caller, team: a.team }, 'soft budget reached: cheaper option first');
    plan = planOn({ ...req, downgrade: true }, a.route, deps);
  }
  if (!reserved.limited) return { plan: { ...plan, larger }, reserved };
  const capped = capToReservation(plan, reserved, a, deps);
  if (capped.candidates.length === 0) throw nothingAffordable(plan.route, reserved);
  const largerCapped = larger && capToReservation(larger, reserved, a, deps);
  return { plan: { ...capped, larger: largerCapped?.candidates.length ? largerCapped : undefined }, reserved };
}

/**
 * Under a budget every candidate's answer is capped to what the reservation pays for on that model,
 * so a longer answer than estimated cannot spend past the budget (src/cost/outputCap.ts).
 */
function capToReservation<P extends Pick<RoutePlan, 'candidates' | 'explanation'>>(plan: P, reserved: Reservation, a: Pick<Admission, 'promptTokens' | 'maxOutputTokens'>, deps: ActivityDeps): P {
  const config = deps.release?.snapshot().config ?? deps.config();
  const prices = priceOverridesFromModels(config.models);
  return capPlanToBudget(plan, {
    reservedUsd: reserved.reservedUsd,
    promptTokens: a.promptTokens,
    requested: a.maxOutputTokens,
    priceOf: (c) => priceFor(kindOf(c, config), c.upstream, prices),
  });
}

function nothingAffordable(route: string, reserved: Reservation) {
  const message = `Budget exceeded: no model of route "${route}" can answer within the $${reserved.reservedUsd.toFixed(4)} left`;
  return tooManyRequests('budget_exceeded', message, { reservedUsd: reserved.reservedUsd });
}

function kindOf(c: Candidate, config: Config): string {
  return c.providerKind ?? config.providers[c.provider]?.kind ?? c.provider;
}

/** A candidate's estimate for `outputTokens` of answer. */
function estimateFor(c: Candidate, promptTokens: number, outputTokens: number, deps: ActivityDeps): number {
  const config = deps.release?.snapshot().config ?? deps.config();
  const prices = priceOverridesFromModels(config.models);
  return estimateRequestCost({ upstreamModel: c.upstream, provider: kindOf(c, config), promptTokens, maxOutputTokens: outputTokens }, prices).usd;
}

/** For a `context_length_exceeded` on every model: the route's `largerRoute`, if it has a model for this request. */
function largerPlan(req: PlanRequest, routeName: string, deps: ActivityDeps): RoutePlan | undefined {
  const name = routeByName(routeName, deps.config())?.largerRoute;
  if (!name || name === routeName) return undefined;
  try {
    return planOn(req, name, deps);
  } catch {
    return undefined; // nothing there for this request: the original failure stands
  }
}

/** The catalogue says a planned model is deprecated: say so in the logs (the response says it too). */
function warnIfDeprecated(deps: ActivityDeps, requestId: string, plan: RoutePlan): void {
  const first = plan.candidates[0];
  if (first?.deprecated) deps.logger.warn({ requestId, route: plan.route, model: first.model }, first.deprecated);
}

function planOn(req: PlanRequest, routeName: string, deps: ActivityDeps): RoutePlan {
  const { route, ctx } = planContext(routeName, deps);
  return planRoute(req, route, ctx);
}

/** The route as the live config has it, and what the planner needs to know about the models now. */
function planContext(routeName: string, deps: ActivityDeps): { route: RouteConfig; ctx: PlanContext } {
  const live = deps.release?.snapshot();
  const config = live?.config ?? deps.config();
  const route = routeByName(routeName, config);
  if (!route) throw new Error(`route "${routeName}" is no longer in the config`);
  const prices = priceOverridesFromModels(config.models);
  const now = Date.now();
  const ctx: PlanContext = {
    table: config,
    isAvailable: (model) => deps.health.isAvailable(model, now),
    estimateCostUsd: (model, promptTokens, maxOutputTokens) => {
      const m = config.models[model];
      if (!m) return undefined;
      const kind = config.providers[m.provider]?.kind ?? m.provider;
      return estimateRequestCost({ upstreamModel: m.upstream, provider: kind, promptTokens, maxOutputTokens }, prices).usd;
    },
    parseDuration,
    now,
    isDisabled: (model) => live?.disabledModels.get(model),
  };
  return { route, ctx };
}

/** The route's reduced-output offer for this request (src/routing/planDegraded.ts). */
function offerOn(req: PlanRequest, a: Admission, deps: ActivityDeps): DegradedPlan | undefined {
  const { route, ctx } = planContext(a.route, deps);
  return offerDegraded(req, route, ctx, a.degraded);
}

/** Beside a normal plan: the degraded model must fit what the budget reserved for the request, like every candidate. */
function withAffordable(offer: DegradedPlan, input: PlanInput, deps: ActivityDeps, reserved: Reservation): DegradedPlan {
  const c = offer.candidate;
  if (!c || !reserved.limited) return offer;
  const [capped] = capToReservation({ candidates: [c], explanation: '' }, reserved, { ...input.admission, maxOutputTokens: c.maxOutputTokens ?? input.admission.maxOutputTokens }, deps).candidates;
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
function degradedInstead(err: unknown, req: PlanRequest, offer: DegradedPlan | undefined, input: PlanInput, deps: ActivityDeps): RoutePlan {
  const reason = err instanceof GatewayError ? planRefusalReason(err.code) : undefined;
  if (!(err instanceof GatewayError) || !offer || !takeDegraded(offer, input.admission.degraded, reason)) throw err;
  const candidate = offer.candidate && reserveFor(offer.candidate, input, deps);
  if (!candidate && !offer.answer) throw err;
  const { route } = planContext(input.admission.route, deps);
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
function reserveFor(c: Candidate, input: PlanInput, deps: ActivityDeps): Candidate | undefined {
  const a = input.admission;
  const cap = c.maxOutputTokens ?? a.maxOutputTokens;
  const minUsd = estimateFor(c, a.promptTokens, Math.min(MIN_ANSWER_TOKENS, cap), deps);
  let reserved: Reservation;
  try {
    reserved = deps.limits.reserve(input.requestId, a.caller, a.team, c.estimatedCostUsd ?? 0, minUsd);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'budget_exceeded') return undefined;
    throw err;
  }
  if (!reserved.limited) return c;
  return capToReservation({ candidates: [c], explanation: '' }, reserved, { ...a, maxOutputTokens: cap }, deps).candidates[0];
}
