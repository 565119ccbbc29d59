import { RiskSchema } from '../config/routing';
import type { Config, RouteConfig } from '../config/schema';
import { selectRoute } from '../routing/selectRoute';
import { isRoutable } from './status';

/** What the kill switch holds now (name → reason); absent: nothing is held. */
export interface HeldByKillSwitch {
  disabledRoutes?: ReadonlyMap<string, string>;
  disabledModels?: ReadonlyMap<string, string>;
}

/**
 * Pure: the models this caller may name in a request, in route order without repeats. The routes are
 * the ones `selectRoute` would give it for one of its tasks at some risk (so its task list, its
 * `routes` list, test-stage routes only for their `testCallers`, and the kill switch all count, by
 * the planner's own rules); their primary, fallback and batch models are kept when routable at
 * `now` (approved or deprecated), not held by the kill switch, and in the caller's `models` list when
 * it has one. Canary, shadow and cheaper-option models are left out: the gateway picks those.
 */
export function modelsForCaller(name: string, table: Pick<Config, 'routes' | 'models' | 'callers'>, now: number, held: HeldByKillSwitch = {}): string[] {
  const caller = table.callers[name];
  if (!caller) return [];
  const out = new Set<string>();
  for (const route of routesForCaller(name, table, held)) {
    for (const m of [route.primary, ...route.fallbacks, ...route.batch]) {
      const model = table.models[m];
      if (!model || !isRoutable(model, now) || held.disabledModels?.has(m)) continue;
      if (caller.models && !caller.models.includes(m)) continue;
      out.add(m);
    }
  }
  return [...out];
}

/** Every route a request of this caller can be given, over its tasks and every risk. */
function routesForCaller(name: string, table: Pick<Config, 'routes' | 'callers'>, held: HeldByKillSwitch): RouteConfig[] {
  const found = new Set<RouteConfig>();
  const disabled = (route: string) => held.disabledRoutes?.get(route);
  for (const task of table.callers[name]?.tasks ?? []) {
    for (const risk of RiskSchema.options) {
      try {
        found.add(selectRoute({ caller: name, task, risk }, table, disabled));
      } catch {
        // no route for this task at this risk (or not for this caller): nothing to list
      }
    }
  }
  return table.routes.filter((r) => found.has(r));
}
