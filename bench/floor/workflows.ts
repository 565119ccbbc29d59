import { proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { GatehouseSearch } from '../../src/temporal/searchAttributes';
import type { FloorActivities } from './activities';
import type { InWorkflow } from './ingredients';

const { callProvider, prepare } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });

/**
 * The least a durable request can be: one workflow, one local activity calling the provider, its
 * answer. `add` (BENCH_FLOOR_WITH) puts back one of Gatehouse's ingredients at a time.
 */
export async function floorRequest(body: Record<string, unknown>, add?: InWorkflow): Promise<unknown> {
  if (add?.prepare) await prepare(body);
  const answer = await callProvider(body, add?.credential);
  // As Gatehouse's answered path (searchOnce): who, where and how it ended in one upsert at the end.
  if (add?.attributes) {
    upsertSearchAttributes([
      { key: GatehouseSearch.caller, value: 'floor' },
      { key: GatehouseSearch.team, value: 'floor' },
      { key: GatehouseSearch.task, value: 'chat' },
      { key: GatehouseSearch.route, value: 'floor' },
      { key: GatehouseSearch.status, value: 'completed' },
      { key: GatehouseSearch.model, value: String(body.model) },
    ]);
  }
  return answer;
}
