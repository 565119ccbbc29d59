import type { Operation } from '../src/config/api';
import { parseDuration } from '../src/config/duration';
import type { Config, RouteConfig } from '../src/config/schema';
import { MIN_ANSWER_TOKENS, estimateRequestCost, priceFor, priceOverridesFromModels } from '../src/cost';
import { GatewayError, type RefusedAs } from '../src/errors';
import { screeningActionOf } from '../src/policy/screen';
import { tooManyRequests, type Reservation } from '../src/limits';
import { capPlanToBudget, planRoute, routeByName, type Candidate, type PlanContext, type PlanRequest, type RoutePlan } from '../src/routing';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { degradedInstead, offerOn, withAffordable } from './planDegraded';
import { asFailure } from './policy';
import { takeSnapshot, type ConfigSnapshot } from './snapshot';

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
    async planRequest(input: PlanInput, snap: ConfigSnapshot = takeSnapshot(deps)): Promise<PlannedRequest> {
      return asFailure(async () => {
        const a = input.admission;
        const req: PlanRequest = {
          requestId: input.requestId,
          caller: a.caller,
          task: a.task,
          requestedModel: input.requestedModel,
          risk: a.risk,
          dataClass: a.dataClass,
          latency: a.latency,
          priority: a.priority,
          forcePrivate: a.forcePrivate,
          promptTokens: a.promptTokens,
          maxOutputTokens: a.maxOutputTokens,
          downgrade: false,
          ...(input.operation ? { operation: input.operation } : {}),
        };
        const routeTableVersion = snap.version;
        const offer = offerOn(req, a, snap, deps);
        try {
          const plan = await normalPlan(req, input, snap, deps);
          const degraded = offer && withAffordable(offer, input, snap.config, plan.reserved);
          return { ...plan.plan, ...(degraded ? { degraded } : {}), routeTableVersion };
        } catch (err) {
          // No normal plan (none available, or over budget): the route's reduced-output plan, if it takes this.
          return { ...(await degradedInstead(err, req, offer, input, snap, deps)), routeTableVersion };
        }
      }, () => refusedAs(input.admission));
    },
  };
}

/** A plan-time refusal (budget, kill switch) names the admitted caller, task and route, and what screening found. */
function refusedAs(a: Admission): RefusedAs {
  return { caller: a.caller, team: a.team, task: a.task, route: a.route, sensitiveKinds: a.sensitiveKinds, sensitiveAction: screeningActionOf(a) };
}

/** The route's candidates, the budget reserved for the first, capped to it under a budget; throws when none fits. */
async function normalPlan(req: PlanRequest, input: PlanInput, snap: ConfigSnapshot, deps: ActivityDeps): Promise<{ plan: RoutePlan; reserved: Reservation }> {
  const a = input.admission;
  const first = planOn(req, a.route, snap, deps);
  warnIfDeprecated(deps, input.requestId, first);
  const larger = largerPlan(req, a.route, snap, deps);
  const lead = first.candidates[0];
  // Not even a minimal answer on the first model fits: refused; else what is left is reserved.
  const minUsd = lead ? estimateFor(lead, a.promptTokens, Math.min(MIN_ANSWER_TOKENS, a.maxOutputTokens), snap.config) : 0;
  const reserved = await deps.limits.reserve(input.requestId, a.caller, a.team, lead?.estimatedCostUsd ?? 0, minUsd);
  let plan = first;
  if (reserved.decision !== 'ok') {
    deps.logger.warn({ requestId: input.requestId, caller: a.caller, team: a.team }, 'soft budget reached: cheaper option first');
    plan = planOn({ ...req, downgrade: true }, a.route, snap, deps);
  }
  if (!reserved.limited) return { plan: { ...plan, larger }, reserved };
  const capped = capToReservation(plan, reserved, a, snap.config);
  if (capped.candidates.length === 0) throw nothingAffordable(plan.route, reserved);
  const largerCapped = larger && capToReservation(larger, reserved, a, snap.config);
  return { plan: { ...capped, larger: largerCapped?.candidates.length ? largerCapped : undefined }, reserved };
}

/**
 * Under a budget every candidate's answer is capped to what the reservation pays for on that model,
 * so a longer answer than estimated cannot spend past the budget (src/cost/outputCap.ts).
 */
export function capToReservation<P extends Pick<RoutePlan, 'candidates' | 'explanation'>>(plan: P, reserved: Reservation, a: Pick<Admission, 'promptTokens' | 'maxOutputTokens'>, config: Config): P {
  const prices = priceOverridesFromModels(config.models);
  return capPlanToBudget(plan, {
    reservedUsd: reserved.reservedUsd,
    promptTokens: a.promptTokens,
    requested: a.maxOutputTokens,
    priceOf: (c) => priceFor(kindOf(c, config), c.upstream, prices),
  });
}

export function nothingAffordable(route: string, reserved: Reservation) {
  const message = `Budget exceeded: no model of route "${route}" can answer within the $${reserved.reservedUsd.toFixed(4)} left`;
  return tooManyRequests('budget_exceeded', message, { reservedUsd: reserved.reservedUsd });
}

function kindOf(c: Candidate, config: Config): string {
  return c.providerKind ?? config.providers[c.provider]?.kind ?? c.provider;
}

/** A candidate's estimate for `outputTokens` of answer. */
export function estimateFor(c: Candidate, promptTokens: number, outputTokens: number, config: Config): number {
  const prices = priceOverridesFromModels(config.models);
  return estimateRequestCost({ upstreamModel: c.upstream, provider: kindOf(c, config), promptTokens, maxOutputTokens: outputTokens }, prices).usd;
}

/** For a `context_length_exceeded` on every model: the route's `largerRoute`, if it has a model for this request. */
function largerPlan(req: PlanRequest, routeName: string, snap: ConfigSnapshot, deps: ActivityDeps): RoutePlan | undefined {
  const name = routeByName(routeName, snap.config)?.largerRoute;
  if (!name || name === routeName) return undefined;
  try {
    return planOn(req, name, snap, deps);
  } catch {
    return undefined; // nothing there for this request: the original failure stands
  }
}

/** The catalogue says a planned model is deprecated: say so in the logs (the response says it too). */
function warnIfDeprecated(deps: ActivityDeps, requestId: string, plan: RoutePlan): void {
  const first = plan.candidates[0];
  if (first?.deprecated) deps.logger.warn({ requestId, route: plan.route, model: first.model }, first.deprecated);
}

/** Plans on the request's snapshot; only the breakers (health, not config) are read live. */
function planOn(req: PlanRequest, routeName: string, snap: ConfigSnapshot, deps: ActivityDeps): RoutePlan {
  const { route, ctx } = planContext(routeName, snap, deps);
  return planRoute(req, route, ctx);
}

/** The route as the request's snapshot has it, and what the planner needs to know about the models now. */
export function planContext(routeName: string, snap: ConfigSnapshot, deps: ActivityDeps): { route: RouteConfig; ctx: PlanContext } {
  const { config } = snap;
  const route = routeByName(routeName, config);
  if (!route) throw new Error(`route "${routeName}" is no longer in the config`);
  // A disabled route reaches planning only when it queues (activities/policy.ts): say so, call nothing.
  const off = snap.disabledRoutes.get(routeName);
  if (off !== undefined) throw new GatewayError('ProviderUnavailable', 'route_disabled', `route "${routeName}" is disabled: ${off}`, { status: 503 });
  const prices = priceOverridesFromModels(config.models);
  const now = Date.now();
  const ctx: PlanContext = {
    table: config,
    isAvailable: (model) => deps.health.isAvailable(model, now),
    estimateCostUsd: (model, promptTokens, maxOutputTokens, deployment) => {
      const m = config.models[model];
      if (!m) return undefined;
      // A deployment is priced as its own provider and upstream (the same model costs differently on Azure and OpenAI).
      const at = (deployment && m.deployments?.find((d) => d.name === deployment)) || m;
      const kind = config.providers[at.provider]?.kind ?? at.provider;
      return estimateRequestCost({ upstreamModel: at.upstream, provider: kind, promptTokens, maxOutputTokens }, prices).usd;
    },
    load: deps.load ? (key) => deps.load!.load(key, now) : undefined,
    parseDuration,
    now,
    isDisabled: (model) => snap.disabledModels.get(model),
    refusesPrefill: (model) => deps.health.refusesPrefill?.(model) ?? false,
  };
  return { route, ctx };
}
