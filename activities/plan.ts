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
  /** `soft_limit`: a soft budget was reached and the cheaper option went first. */
  budget: 'ok' | 'soft_limit';
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
        const plan = planOn(req, a.route, deps);
        const decision = deps.limits.reserve(input.requestId, a.caller, a.team, plan.candidates[0]?.estimatedCostUsd ?? 0);
        if (decision.decision === 'ok') return { ...plan, budget: 'ok' };
        deps.logger.warn({ requestId: input.requestId, caller: a.caller, team: a.team }, 'soft budget reached: cheaper option first');
        return { ...planOn({ ...req, downgrade: true }, a.route, deps), budget: 'soft_limit' };
      });
    },
  };
}

function planOn(req: PlanRequest, routeName: string, deps: ActivityDeps): RoutePlan {
  const config = deps.config();
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
  });
}
