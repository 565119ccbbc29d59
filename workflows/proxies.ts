import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Decisions that only read config run as local activities: no task-queue round trip, and their
 * results are still recorded in history as markers.
 */
export const decisions = proxyLocalActivities<Pick<Activities, 'prepareRequest' | 'replanRequest'>>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 3, initialInterval: '50ms' },
});

/** The ledger write: local (no extra round trip), retried until it lands; idempotent on request id. */
export const ledger = proxyLocalActivities<Pick<Activities, 'recordOutcome' | 'recordFeedback'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

/** Keeping an answer in the route's response cache: local, short, best effort (the activity never throws). */
export const cacheStore = proxyLocalActivities<Pick<Activities, 'storeAnswer'>>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 2 },
});
