import type { Config, RouteConfig } from '../config/schema';
import type { Risk } from '../config/routing';
import { GatewayError, invalidRequest, policyDenied } from '../errors';
import { mayUseUnapproved, type Unapproved } from './approval';

export interface RouteQuery {
  caller: string;
  task: string;
  risk: Risk;
}

/**
 * Pure: the first route (in file order) for this task and risk that the caller may use. Test routes
 * open only to their named callers; a caller with a `routes` list sees only those. A route the kill
 * switch holds (`disabled` gives its reason) is passed over for the next fitting one, else 503.
 */
export function selectRoute(q: RouteQuery, table: Pick<Config, 'routes' | 'callers'>, disabled?: (route: string) => string | undefined, unapproved?: (route: string) => Unapproved | undefined): RouteConfig {
  const forTask = table.routes.filter((r) => r.match.task === q.task);
  if (forTask.length === 0) throw invalidRequest('no_route_for_task', `no route is configured for task "${q.task}"`);
  const staged = forTask.filter((r) => (!r.match.risk || r.match.risk.includes(q.risk)) && (r.stage === 'stable' || r.testCallers.includes(q.caller)));
  if (staged.length === 0) throw invalidRequest('no_route_for_task', `no route serves task "${q.task}" at risk "${q.risk}"`);
  // A gated route not yet approved serves only its test callers and the risk levels it is cleared for.
  const fits = staged.filter((r) => !unapproved?.(r.name) || mayUseUnapproved(r, q.caller, q.risk));
  if (fits.length === 0) throw notApproved(staged[0]!, q.risk, unapproved!(staged[0]!.name)!);
  const fitting = disabled ? fits.filter((r) => disabled(r.name) === undefined) : fits;
  if (fitting.length === 0) {
    const r = fits[0]!;
    throw new GatewayError('ProviderUnavailable', 'route_disabled', `route "${r.name}" is disabled: ${disabled?.(r.name)}`, { status: 503 });
  }
  const allowed = table.callers[q.caller]?.routes;
  const route = fitting.find((r) => !allowed || allowed.includes(r.name));
  if (!route) throw policyDenied('route_not_allowed', `caller "${q.caller}" may not use route "${fitting[0]!.name}"`);
  return route;
}

function notApproved(r: RouteConfig, risk: Risk, u: Unapproved): GatewayError {
  return policyDenied('route_not_approved', `route "${r.name}" (changed by ${u.proposedBy} in v${u.since}) waits for a second admin's approval; until then it serves only its test callers and risk ${r.approval?.clearedRisk.join('/') || 'none'}, not ${risk}`);
}

/** Named route (for `largerRoute`), or undefined. */
export function routeByName(name: string, table: Pick<Config, 'routes'>): RouteConfig | undefined {
  return table.routes.find((r) => r.name === name);
}
