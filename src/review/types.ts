import type { ReviewOnTimeoutAction, ReviewWhenName } from './schema';

/**
 * What crosses the Temporal boundary for a human review. Plain data, type-only imports, so workflow
 * code, activities and the review API all share it.
 */

export type ReviewAction = 'approve' | 'edit' | 'reject';

/**
 * The payload of the `review` update and its `reviewDecision` signal twin (also what to paste in the
 * Temporal UI). `credential` is the reviewer's key sealed to the workers for this request and this
 * decision (src/auth/credentialSeal.ts; never the raw key), and the workflow authenticates it itself,
 * so no way in skips the check.
 */
export interface ReviewDecisionInput {
  action: ReviewAction;
  credential: string;
  comment?: string;
  /** `edit` only: the answer text the caller gets instead of the model's. */
  content?: string;
  /** `reject` only: told to the caller. */
  reason?: string;
}

/** `review` = the first reviewer group may decide; `escalated` = the deadline passed once and `escalateTo` may too. */
export type ReviewPhase = 'review' | 'escalated';

/** A decision as recorded (history, ledger, response): who, when (workflow time), what and why. */
export interface ReviewRecord {
  action: ReviewAction;
  /** The reviewer's caller name, or `deadline` when the route's onTimeout decided. */
  by: string;
  /** ISO time, from workflow time (deterministic). */
  at: string;
  via: 'update' | 'signal' | 'deadline';
  phase: ReviewPhase;
  comment?: string;
  reason?: string;
}

/** The route's review settings as the workflow uses them (deadline already in milliseconds). */
export interface ReviewSettings {
  when: ReviewWhenName[];
  deadline: string;
  deadlineMs: number;
  onTimeout: ReviewOnTimeoutAction;
}

/** Where a held request stands: in the status query, the memo (for the list) and the ledger. */
export interface ReviewState {
  /** Why it was held, e.g. `always`, `validation_failed`, `sensitive_output: card_number`. */
  reasons: string[];
  phase: ReviewPhase;
  heldAt: string;
  /** When the current phase's deadline passes (ISO). */
  deadlineAt: string;
  decision?: ReviewRecord;
  /** Decisions refused (second decision, wrong reviewer, bad payload), newest last; secret-free. */
  refused: Array<{ at: string; via: 'update' | 'signal'; reason: string }>;
}

/** What a reviewer sees (the `heldAnswer` query): the answer as held and why. */
export interface HeldAnswerView {
  route: string;
  caller?: string;
  task?: string;
  model: string;
  content: string;
  /** The prompt as the provider got it (redacted when the route redacts); absent on requests held before it was recorded. */
  prompt?: Array<{ role: string; content: string }>;
  /** The request's risk (low | medium | high) as admission settled it. */
  risk?: string;
  validation?: { ok: boolean; summary: string };
  review: ReviewState;
}
