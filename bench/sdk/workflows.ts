// Minimal workflows for bench/sdkOverhead.ts: what a workflow and a local activity cost by themselves.
import { proxyLocalActivities } from '@temporalio/workflow';

const { noop } = proxyLocalActivities<{ noop(): Promise<number> }>({ startToCloseTimeout: '5s' });

export async function bare(): Promise<number> {
  return 1;
}

export async function threeLocalActivities(): Promise<number> {
  await noop();
  await noop();
  return noop();
}
