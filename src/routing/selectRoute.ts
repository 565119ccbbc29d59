import type { Config, RouteConfig } from '../config/schema';
import type { Risk } from '../config/routing';
import { invalidRequest, policyDenied } from '../errors';

export interface RouteQuery {
  caller: string;
  task: string;
  risk: Risk;
}

/**
 * Pure: the first route (in file order) for this task and risk that the caller may use. Test routes
 * open only to their named callers; a caller with a `routes` list sees only those.
 */
export function selectRoute(q: RouteQuery, table: Pick<Config, 'routes' | 'callers'>): RouteConfig {
  const forTask = table.routes.filter((r) => r.match.task === q.task);
  if (forTask.length === 0) throw invalidRequest('no_route_for_task', `no route is configured for task "${q.task}"`);
  const fitting = forTask.filter((r) => (!r.match.risk || r.match.risk.includes(q.risk)) && (r.stage === 'stable' || r.testCallers.includes(q.caller)));
  if (fitting.length === 0) throw invalidRequest('no_route_for_task', `no route serves task "${q.task}" at risk "${q.risk}"`);
  const allowed = table.callers[q.caller]?.routes;
  const route = fitting.find((r) => !allowed || allowed.includes(r.name));
  if (!route) throw policyDenied('route_not_allowed', `caller "${q.caller}" may not use route "${fitting[0]!.name}"`);
  return route;
}

/** Named route (for `largerRoute`), or undefined. */
export function routeByName(name: string, table: Pick<Config, 'routes'>): RouteConfig | undefined {
  return table.routes.find((r) => r.name === name);
}
