import type { FastifyInstance } from 'fastify';
import { sinceTime } from '../../canary/since';
import { invalidRequest } from '../../errors';
import { UsageQuery, usageReport } from '../../reports/usage';
import type { HttpDeps } from '../server';
import { AUDIT, parseQuery } from './access';

/**
 * `GET /admin/usage?by=team&since=7d` (admin or auditor): requests, errors, blocks by reason, tokens,
 * cost, p50/p95 latency and fallbacks per group and per UTC day, from the ledger.
 */
export function registerUsageReport(app: FastifyInstance, deps: HttpDeps): void {
  const usage = deps.usage;
  if (!usage) return;
  app.get('/admin/usage', { config: AUDIT }, async (req) => {
    const q = parseQuery(UsageQuery, req.query);
    const now = Date.now();
    const since = sinceTime(q.since, now);
    if (!since) throw invalidRequest('invalid_since', 'since must be a duration ("12h", "7d") or an ISO date', 'since');
    const until = new Date(now + 1).toISOString();
    return { object: 'gatehouse.usage_report', ...usageReport(q.by, since, until, (await usage.cells(q.by, since, until))) };
  });
}
