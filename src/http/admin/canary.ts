import type { FastifyInstance } from 'fastify';
import { canaryReport } from '../../canary/report';
import { sinceTime } from '../../canary/since';
import { catalog } from '../../catalog/view';
import { feedbackByModel } from '../../feedback/report';
import { invalidRequest, notFound } from '../../errors';
import type { Release } from '../../routes/release';
import type { HttpDeps } from '../server';
import { STAFF } from './access';

/** Default report window. */
const DEFAULT_SINCE = '24h';

/**
 * Read-only release views for admins and reviewers:
 *   GET /admin/models, /admin/models/:name   the model catalogue (effective status now, kill switch, routes using it)
 *   GET /admin/canary/:route?since=1h        primary vs candidate: split (ledger) and shadow pairs (comparisons)
 */
export function registerReleaseViews(app: FastifyInstance, deps: HttpDeps, release: Release): void {
  app.get('/admin/models', { config: STAFF }, async () => {
    const snap = release.live.snapshot();
    return { object: 'list', data: catalog(snap.config, snap.disabledModels, Date.now()) };
  });

  app.get<{ Params: { name: string } }>('/admin/models/:name', { config: STAFF }, async (req) => {
    const snap = release.live.snapshot();
    const entry = catalog(snap.config, snap.disabledModels, Date.now()).find((m) => m.name === req.params.name);
    if (!entry) throw notFound('model_not_found', `No model "${req.params.name}" in the catalogue`);
    return { object: 'gatehouse.model', ...entry };
  });

  app.get<{ Params: { route: string }; Querystring: { since?: string } }>('/admin/canary/:route', { config: STAFF }, async (req) => {
    const snap = release.live.snapshot();
    const route = snap.config.routes.find((r) => r.name === req.params.route);
    if (!route) throw notFound('route_not_found', `No route "${req.params.route}" in the live table (v${snap.version})`);
    const since = sinceTime(req.query.since ?? DEFAULT_SINCE, Date.now());
    if (!since) throw invalidRequest('invalid_request', 'since must be a duration ("1h", "7d") or an ISO date', 'since');
    const window = { route: route.name, since };
    const report = canaryReport({
      route,
      since,
      routeTableVersion: snap.version,
      requests: await release.comparisons.requests(window),
      comparisons: await release.comparisons.comparisons(window),
    });
    // What end users did with the route's answers, per model (POST /v1/requests/{id}/feedback).
    const feedback = feedbackByModel((await deps.feedback?.counts(route.name, since)) ?? []);
    return { object: 'gatehouse.canary_report', ...report, feedback };
  });
}
