import type { Config } from '../config/schema';
import { invalidRequest, notFound, policyDenied } from '../errors';

/** One model the workflow may call, in order. */
export interface Candidate {
  model: string;
  provider: string;
  upstream: string;
}

export interface RoutePlan {
  route: string;
  candidates: Candidate[];
  timeoutMs: number;
  retries: number;
  /** One line saying why: recorded in history, ledger and the response. */
  explanation: string;
}

export interface PlanRequest {
  task: string;
  /** The body's `model`: `auto`, the route's name, or a model of that route to prefer. */
  requestedModel: string;
}

export type RouteTable = Pick<Config, 'routes' | 'models'>;

const AUTO_MODELS = new Set(['auto', 'gatehouse', 'default']);

/** Pure: the ordered candidates for a request. Only approved models are ever planned. */
export function planRoute(req: PlanRequest, table: RouteTable, parseTimeout: (s: string) => number): RoutePlan {
  const route = table.routes.find((r) => r.match.task === req.task);
  if (!route) throw invalidRequest('no_route_for_task', `no route is configured for task "${req.task}"`);

  const skipped: string[] = [];
  const candidates: Candidate[] = [];
  for (const name of [route.primary, ...route.fallbacks]) {
    const model = table.models[name];
    if (!model) continue; // config validation rejects this; stay total anyway
    if (!model.approved) {
      skipped.push(`${name}: not approved`);
      continue;
    }
    candidates.push({ model: name, provider: model.provider, upstream: model.upstream });
  }
  preferRequested(req, route.name, candidates, table);
  if (candidates.length === 0) {
    throw policyDenied('no_approved_model', `route "${route.name}" has no approved model (${skipped.join('; ')})`);
  }
  return {
    route: route.name,
    candidates,
    timeoutMs: parseTimeout(route.timeout),
    retries: route.retries,
    explanation: explain(req.task, route.name, candidates, skipped),
  };
}

/** A caller naming a model of the route gets it first; naming anything else is an error, not ignored. */
function preferRequested(req: PlanRequest, routeName: string, candidates: Candidate[], table: RouteTable): void {
  const wanted = req.requestedModel;
  if (AUTO_MODELS.has(wanted) || wanted === routeName) return;
  const i = candidates.findIndex((c) => c.model === wanted || c.upstream === wanted);
  if (i > 0) candidates.unshift(...candidates.splice(i, 1));
  if (i >= 0) return;
  if (table.models[wanted]) {
    throw policyDenied('model_not_allowed', `model "${wanted}" is not available for task "${req.task}"`);
  }
  throw notFound('model_not_found', `The model "${wanted}" does not exist; use "auto" or one of GET /v1/models`);
}

function explain(task: string, route: string, candidates: Candidate[], skipped: string[]): string {
  const [first, ...rest] = candidates.map((c) => c.model);
  let line = `task=${task} → route ${route}: ${first}`;
  if (rest.length) line += `; fallback ${rest.join(', ')}`;
  if (skipped.length) line += `; skipped ${skipped.join(', ')}`;
  return line;
}
