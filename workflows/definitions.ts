import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HeldAnswerView, ReviewDecisionInput, ReviewRecord } from '../src/review/types';
import type { RequestStatusView } from '../src/temporal/contract';

/** Shared by the workflow and its clients (the TS client's `status()`). */
export const statusQuery = defineQuery<RequestStatusView>('status');

/**
 * Human review (see workflows/review.ts). `review` is the decision Update: its validator refuses
 * malformed payloads and second decisions at once; the handler authenticates the reviewer. The
 * `reviewDecision` Signal carries the same payload for the Temporal UI (refusals are only recorded).
 */
export const reviewUpdate = defineUpdate<ReviewRecord, [ReviewDecisionInput]>('review');
export const reviewDecisionSignal = defineSignal<[ReviewDecisionInput]>('reviewDecision');
/** The held answer and its findings, for reviewers (the admin API checks who asks). */
export const heldAnswerQuery = defineQuery<HeldAnswerView | null>('heldAnswer');

/**
 * The front door's "held or done?": completes as soon as the request waits for review, has waited
 * in the route's queue past `holdSync` (step `queued`), or has finished, so a caller gets 202 for a
 * held request without polling.
 */
export const awaitOutcomeUpdate = defineUpdate<RequestOutcome>('awaitOutcome');

export interface RequestOutcome {
  step: RequestStatusView['step'];
}

/** Wakes a request waiting in its route's queue (workflows/queue.ts): it plans and tries again at once. */
export const wakeQueuedSignal = defineSignal('wakeQueued');
