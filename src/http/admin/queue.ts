import type { FastifyInstance } from 'fastify';
import { wakeQueuedSignal } from '../../../workflows/definitions';
import { GatehouseSearch } from '../../temporal/searchAttributes';
import type { HttpDeps } from '../server';
import { ADMIN } from './access';

/** Counting stops here (the answer then says `truncated`): the list is read page by page from visibility. */
const MAX_COUNTED = 10_000;

/**
 * `GET /admin/queue` (admins): requests waiting in a route's queue now, per route, from Temporal
 * visibility (running request workflows whose GatehouseStatus is `queued`), fullest route first,
 * each with its longest-waiting request's queue start.
 */
export function registerQueueAdmin(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/admin/queue', { config: ADMIN }, async () => {
    const byRoute = new Map<string, { queued: number; oldest: string }>();
    let total = 0;
    for await (const wf of deps.starter.client.workflow.list({ query: queuedQuery(deps), pageSize: 1000 })) {
      const route = wf.typedSearchAttributes.get(GatehouseSearch.route) ?? '(unknown)';
      const since = (wf.memo?.queue as { since?: string } | undefined)?.since ?? wf.startTime.toISOString();
      const seen = byRoute.get(route) ?? { queued: 0, oldest: since };
      byRoute.set(route, { queued: seen.queued + 1, oldest: since < seen.oldest ? since : seen.oldest });
      if (++total >= MAX_COUNTED) break;
    }
    const routes = [...byRoute].map(([route, r]) => ({ route, queued: r.queued, oldest_since: r.oldest })).sort((a, b) => b.queued - a.queued);
    return { object: 'gatehouse.queue', total, truncated: total >= MAX_COUNTED, routes };
  });
}

/**
 * After the kill switch lets a route or model go again: queued requests (of `route`, or all) plan
 * and try at once instead of at their next timer. Best effort: a request missed here still wakes on
 * its own timer.
 */
export async function wakeQueued(deps: HttpDeps, route?: string): Promise<number> {
  const query = route ? `${queuedQuery(deps)} AND GatehouseRoute = ${quote(route)}` : queuedQuery(deps);
  let woken = 0;
  for await (const wf of deps.starter.client.workflow.list({ query, pageSize: 1000 })) {
    await deps.starter.client.workflow.getHandle(wf.workflowId, wf.runId).signal(wakeQueuedSignal).then(() => woken++, () => undefined);
    if (woken >= MAX_COUNTED) break;
  }
  return woken;
}

function queuedQuery(deps: HttpDeps): string {
  return [`TaskQueue = ${quote(deps.starter.taskQueue)}`, 'ExecutionStatus = "Running"', 'GatehouseStatus = "queued"'].join(' AND ');
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
