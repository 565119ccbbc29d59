import { isSealedCredential } from '../auth/envelope';
import type { OnFailureAction } from '../validation/schema';
import type { ReviewWhenName } from './schema';
import type { AnswerCheck } from '../../activities/validation';
import type { Admission } from '../temporal/contract';
import { routesForTask } from '../routing/taskRoutes';
import type { ReviewAction, ReviewDecisionInput, ReviewPhase, ReviewSettings } from './types';

/**
 * Pure review decisions, safe in workflow code (type-only imports): when to hold, what to do with an
 * answer that failed validation, whether a decision payload is well-formed, what the deadline does.
 */

/** What the request says about itself and what the checks found in the answer. */
export interface HoldFacts {
  /** The request's `metadata.risk` (low | medium | high). */
  risk?: string;
  validationFailed: boolean;
  /** Kinds the sensitivity detectors found in the answer (empty when none, or not scanned). */
  sensitiveKinds: string[];
}

/** Why the route holds this answer; empty = no hold. */
export function holdReasons(when: readonly ReviewWhenName[], facts: HoldFacts): string[] {
  const reasons: string[] = [];
  if (when.includes('always')) reasons.push('always');
  if (when.includes('risk_high') && facts.risk === 'high') reasons.push('risk_high');
  if (when.includes('on_validation_failure') && facts.validationFailed) reasons.push('validation_failed');
  if (when.includes('on_sensitive_output') && facts.sensitiveKinds.length > 0) {
    reasons.push(`sensitive_output: ${facts.sensitiveKinds.join(', ')}`);
  }
  return reasons;
}

/** Why this answer is held for a human: the route's `when`, a failed check, the policy's own hold. */
export function holdReasonsFor(admission: Admission, check: AnswerCheck, invalid: boolean): string[] {
  const reasons = holdReasons(check.review?.when ?? [], { risk: admission.risk, validationFailed: invalid, sensitiveKinds: check.sensitiveKinds });
  // onFailure: review holds even when `when` does not list on_validation_failure.
  if (invalid && !reasons.includes('validation_failed')) reasons.push('validation_failed');
  if (admission.holdForReview) reasons.push(admission.holdForReview);
  return reasons;
}

/** The first answer ends the request: nothing checks it and nothing holds it (known before the call). */
export function answerEndsRequest(admission: Admission, known: AnswerCheck | null | undefined): boolean {
  return !!known && known.validation === null && holdReasonsFor(admission, known, false).length === 0;
}

export type InvalidAnswerStep = 'retry' | 'fallback' | 'review' | 'fail';

export interface InvalidAnswerFacts {
  onFailure: OnFailureAction;
  /** A repair retry already ran for this request (it runs once). */
  retried: boolean;
  /** An approved candidate after the one that answered. */
  hasNextCandidate: boolean;
  /** The route reviews on validation failure (`review.when` has on_validation_failure). */
  reviewOnFailure: boolean;
}

/**
 * The route's `onFailure`, while it can still run; once spent (retry done, no candidate left), a
 * route that reviews on validation failure holds the answer, any other fails with 422.
 */
export function nextStepForInvalid(f: InvalidAnswerFacts): InvalidAnswerStep {
  if (f.onFailure === 'retry' && !f.retried) return 'retry';
  if (f.onFailure === 'fallback' && f.hasNextCandidate) return 'fallback';
  if (f.onFailure === 'review' || f.reviewOnFailure) return 'review';
  return 'fail';
}

const ACTIONS: readonly ReviewAction[] = ['approve', 'edit', 'reject'];
const MAX_COMMENT = 2000;
const MAX_CONTENT = 200_000;

export type ParsedDecision = { ok: true; value: ReviewDecisionInput } | { ok: false; error: string };

/** Structural check of a decision payload (the update validator and the signal use it); never echoes the credential. */
export function parseDecision(payload: unknown): ParsedDecision {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail('the decision must be a JSON object');
  const p = payload as Record<string, unknown>;
  if (!ACTIONS.includes(p.action as ReviewAction)) return fail(`action must be one of ${ACTIONS.join(', ')}`);
  const action = p.action as ReviewAction;
  if (typeof p.credential !== 'string' || p.credential.length === 0) return fail('credential (a sealed reviewer credential) is required');
  // A raw API key is refused here, in the update validator, so it is never written to the history.
  if (!isSealedCredential(p.credential)) {
    return fail('credential must be a sealed reviewer credential, not an API key: decide with `gatehouse review` or the review API');
  }
  const comment = optionalText(p.comment, 'comment', MAX_COMMENT);
  if (typeof comment === 'object') return comment;
  const value: ReviewDecisionInput = { action, credential: p.credential, ...(comment ? { comment } : {}) };
  if (action === 'edit') {
    if (typeof p.content !== 'string' || p.content.length === 0) return fail('edit needs content: the answer text to send instead');
    if (p.content.length > MAX_CONTENT) return fail(`content is longer than ${MAX_CONTENT} characters`);
    value.content = p.content;
  }
  if (action === 'reject') {
    const reason = optionalText(p.reason, 'reason', MAX_COMMENT);
    if (typeof reason === 'object') return reason;
    if (!reason) return fail('reject needs a reason (the caller is told)');
    value.reason = reason;
  }
  return { ok: true, value };
}

function optionalText(v: unknown, name: string, max: number): string | undefined | { ok: false; error: string } {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return fail(`${name} must be a string`);
  if (v.length > max) return fail(`${name} is longer than ${max} characters`);
  return v.trim() === '' ? undefined : v;
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

export type DeadlineOutcome = { action: 'approve' | 'reject'; reason: string } | { action: 'escalate'; reason: string };

/** The route's onTimeout in the first phase; after an escalation the second deadline always rejects. */
export function deadlineOutcome(settings: Pick<ReviewSettings, 'onTimeout' | 'deadline'>, phase: ReviewPhase): DeadlineOutcome {
  if (phase === 'escalated') {
    return { action: 'reject', reason: `no decision within ${settings.deadline} after escalation` };
  }
  const reason = `no decision within ${settings.deadline}; route onTimeout: ${settings.onTimeout}`;
  return { action: settings.onTimeout, reason };
}

/**
 * Pure: can a request for this task be held for review at all? Only a route with a `review:` block
 * holds (the config check requires one for every way to hold: `when`, `onFailure: review`, the
 * sensitivity action `review`). Unknown task (the caller's default applies): any route may.
 */
export function taskMayHold(routes: ReadonlyArray<{ match: { task: string }; review?: unknown }>, task: string | undefined): boolean {
  return routesForTask(routes, task).some((r) => r.review !== undefined);
}
