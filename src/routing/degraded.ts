import { conductOf, isFailureKind } from '../failures/table';
import type { ChatCompletion } from '../config/api';
import type { DegradedChoice, DegradedReason } from '../config/degraded';
import type { AttemptRecord } from '../temporal/contract';
import type { Candidate } from './planRoute';

/**
 * Reduced-output mode (route option `degraded`): the decisions, pure, on plain data. Workflow code
 * imports this file, so it holds no I/O and no Temporal.
 */

/** The route's offer as planned for one request. */
export interface DegradedPlan {
  when: DegradedReason[];
  callerOptIn: boolean;
  /** The caller's `x-gatehouse-degraded`, when sent. */
  choice?: DegradedChoice;
  /** The degraded model, planned for this request with its lower cap; absent when it may not serve it. */
  candidate?: Candidate;
  /** Why the degraded model is not planned (it may not serve this request). */
  skipped?: string;
  /** The route's fixed safe answer. */
  answer?: string;
  /** Already taken, for this reason: planning left the normal plan, or a degraded answer is being retried. */
  taken?: DegradedReason;
  /** Set when planning left the normal plan: the refusal it would have given (shown as an attempt). */
  left?: { model: string; code: string; status: number; message: string };
}

/** The fixed answer's model name: a `/` no configured model name may contain, so it never names a real model. */
export const FIXED_ANSWER_MODEL = 'gatehouse/degraded';

/**
 * THE decision: is the degraded plan taken? Only for a reason the route lists, never against the
 * caller's `deny`, and on an opt-in route only when the caller said `allow`.
 */
export function takeDegraded(offer: Pick<DegradedPlan, 'when' | 'callerOptIn'> | undefined, choice: DegradedChoice | undefined, reason: DegradedReason | undefined): boolean {
  if (!offer || !reason || !offer.when.includes(reason)) return false;
  if (choice === 'deny') return false;
  return !offer.callerOptIn || choice === 'allow';
}

/**
 * Failures that say the model cannot answer now, not that the request was wrong: outages, rate
 * limits, timeouts, our credentials refused, a lost worker, the kill switch on the model. Not the
 * kill switch on the route (`RouteDisabled`): the operator stopped the route, its degraded plan too,
 * as admission does for a route disabled before the request.
 */
export function isUnavailability(type: string | undefined): boolean {
  return type !== undefined && isFailureKind(type) && conductOf(type).unavailable.degraded;
}

/** Every model tried ended on an availability failure (a model that refused a prefill and then failed counts by its last try). */
export function unavailableAfter(attempts: readonly AttemptRecord[]): boolean {
  if (attempts.length === 0 || attempts.some((a) => a.outcome === 'ok')) return false;
  const last = new Map<string, AttemptRecord>();
  for (const a of attempts) last.set(a.model, a);
  return [...last.values()].every((a) => isUnavailability(a.error));
}

/** A refusal of the planner or the budget as a reason for the degraded plan (undefined: not one). */
export function planRefusalReason(code: string | undefined): DegradedReason | undefined {
  if (code === 'budget_exceeded') return 'over_budget';
  // `route_disabled` from the planner: the kill switch took every model of the route (not the route itself).
  if (code === 'no_available_model' || code === 'route_disabled') return 'unavailable';
  return undefined;
}

/** The attempt that shows why planning left the normal plan (try 0: the model was not called). */
export function plannedAwayAttempt(left: NonNullable<DegradedPlan['left']>): AttemptRecord {
  return { model: left.model, outcome: 'failed', error: left.code, status: left.status, message: left.message, try: 0 };
}

/** The fixed-answer "candidate": no provider, never priced. */
export const FIXED_ANSWER_CANDIDATE: Candidate = { model: FIXED_ANSWER_MODEL, provider: 'gatehouse', upstream: FIXED_ANSWER_MODEL };

export function isFixedAnswer(c: Pick<Candidate, 'model'> | undefined): boolean {
  return c?.model === FIXED_ANSWER_MODEL;
}

/** The route's fixed answer as an ordinary chat completion: finish `stop`, no tokens used. */
export function fixedAnswerCompletion(requestId: string, text: string, createdSec: number): ChatCompletion {
  return {
    id: `chatcmpl-degraded-${requestId}`,
    object: 'chat.completion',
    created: createdSec,
    model: FIXED_ANSWER_MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** The degraded model's answer cap: the route's `maxTokens`, or the caller's own when lower. */
export function degradedCap(routeMaxTokens: number | undefined, requested: number): number {
  return routeMaxTokens === undefined ? requested : Math.min(routeMaxTokens, requested);
}
