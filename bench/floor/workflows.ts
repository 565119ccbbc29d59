import { proxyLocalActivities } from '@temporalio/workflow';
import type { FloorActivities } from './activities';

const { callProvider } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });

/** The least a durable request can be: one workflow, one local activity calling the provider, its answer. */
export async function floorRequest(body: Record<string, unknown>): Promise<unknown> {
  return callProvider(body);
}
