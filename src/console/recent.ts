import type { RequestStarter } from '../temporal/requestStarter';
import { GatehouseSearch } from '../temporal/searchAttributes';

/** How many the console's overview lists. */
export const RECENT_LIMIT = 25;

/**
 * The newest requests on this gateway's task queue, from Temporal visibility (newest first): what
 * the operators' overview lists, each with its run id for the Temporal UI link. Ids and labels only.
 */
export async function recentRequests(starter: Pick<RequestStarter, 'client' | 'taskQueue'>, limit = RECENT_LIMIT) {
  const query = `TaskQueue = "${starter.taskQueue.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const items = [];
  for await (const wf of starter.client.workflow.list({ query, pageSize: limit })) {
    const sa = wf.typedSearchAttributes;
    items.push({
      id: wf.workflowId,
      run_id: wf.runId,
      status: sa.get(GatehouseSearch.status) ?? wf.status.name.toLowerCase(),
      route: sa.get(GatehouseSearch.route),
      caller: sa.get(GatehouseSearch.caller),
      team: sa.get(GatehouseSearch.team),
      model: sa.get(GatehouseSearch.model),
      started_at: wf.startTime.toISOString(),
      closed_at: wf.closeTime?.toISOString(),
    });
    if (items.length >= limit) break;
  }
  return items;
}
