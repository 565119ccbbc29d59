import { parseDuration } from '../src/config/duration';
import { planRoute, type PlanRequest, type RoutePlan } from '../src/routing';
import type { ActivityDeps } from './deps';
import { asFailure } from './policy';

export function createPlanActivities(deps: ActivityDeps) {
  return {
    /** Local activity: the plan is recorded in history as this activity's result. */
    async planRequest(input: PlanRequest): Promise<RoutePlan> {
      return asFailure(() => planRoute(input, deps.config(), parseDuration));
    },
  };
}
