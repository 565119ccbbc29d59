import { ActivityCancellationType, proxyLocalActivities } from '@temporalio/workflow';
import { FIRST_TRY_MAX_TIMEOUT_MS } from '../src/routing/firstTry';
import { DEADLINE_SLACK_MS } from './tryCandidate';
import type { Activities } from '../activities';

/**
 * Decisions that only read config run as local activities: no task-queue round trip, and their
 * results are still recorded in history as markers.
 */
export const decisions = proxyLocalActivities<Pick<Activities, 'prepareRequest' | 'replanRequest'>>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 3, initialInterval: '50ms' },
});

/**
 * Admission and plan when they may also make the first provider call (src/routing/firstTry.ts): the
 * Temporal timeout covers the longest such call (the call enforces its route's own deadlines), and a
 * cancellation waits for the step to end, so the workflow learns the admission of a request cancelled
 * during that call and records it as such. Retried like `decisions`: a try's outcome is returned, never thrown.
 */
export const decisionsWithFirstTry = proxyLocalActivities<Pick<Activities, 'prepareRequest'>>({
  startToCloseTimeout: FIRST_TRY_MAX_TIMEOUT_MS + DEADLINE_SLACK_MS + 5_000,
  retry: { maximumAttempts: 3, initialInterval: '50ms' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
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
