import { parseDuration } from '../src/config/duration';
import { estimateRequestCost, priceOverridesFromModels } from '../src/cost';
import { routeByName, planRoute, type PlanRequest, type RoutePlan } from '../src/routing';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { asFailure } from './policy';

export interface PlanInput {
  requestId: string;
  admission: Admission;
  requestedModel: string;
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
        };
        const routeTableVersion = deps.release?.snapshot().version;
        const plan = planOn(req, a.route, deps);
        warnIfDeprecated(deps, input.requestId, plan);
        const larger = largerPlan(req, a.route, deps);
        const decision = deps.limits.reserve(input.requestId, a.caller, a.team, plan.candidates[0]?.estimatedCostUsd ?? 0);
        if (decision.decision === 'ok') return { ...plan, larger, routeTableVersion };
        deps.logger.warn({ requestId: input.requestId, caller: a.caller, team: a.team }, 'soft budget reached: cheaper option first');
        return { ...planOn({ ...req, downgrade: true }, a.route, deps), larger, routeTableVersion };
      });
    },
  };
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
  const live = deps.release?.snapshot();
  const config = live?.config ?? deps.config();
  const route = routeByName(routeName, config);
  if (!route) throw new Error(`route "${routeName}" is no longer in the config`);
  const prices = priceOverridesFromModels(config.models);
  const now = Date.now();
  return planRoute(req, route, {
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
  });
}
