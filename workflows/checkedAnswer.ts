import { ApplicationFailure, isCancellation, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AnswerCheck } from '../activities/validation';
import type { ChatCompletionRequest } from '../src/config/api';
import { GatewayError, toFailure } from '../src/errors';
import { FAILURE_CONDUCT, OUTPUT_VALIDATION_FAILED } from '../src/failures';
import { answerEndsRequest, holdReasonsFor, nextStepForInvalid } from '../src/review/decide';
import { promptForReview } from '../src/review/prompt';
import type { ReviewRecord, ReviewSettings } from '../src/review/types';
import type { Candidate, RoutePlan } from '../src/routing';
import { isFixedAnswer } from '../src/routing/degraded';
import type { Admission, AttemptRecord, RequestStatusView } from '../src/temporal/contract';
import { repairInstruction } from '../src/validation/repair';
import type { ValidationResult } from '../src/validation/types';
import { callWithFallback, type Answer } from './callWithFallback';
import type { CallContext } from './tryCandidate';
import type { ReviewDesk } from './review';

/** Validation runs Ajv and the detectors on config data: a local activity, its result a marker in history. */
const checks = proxyLocalActivities<Pick<Activities, 'checkAnswer'>>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '50ms' },
});

/** Used only if policy asks for review on a route without a `review:` block (the config check prevents it). */
const FALLBACK_REVIEW: ReviewSettings = { when: [], deadline: '24h', deadlineMs: 86_400_000, onTimeout: 'reject' };

export interface CheckedAnswer {
  answer: Answer;
  /** Set when a human (or the review deadline) decided. */
  review?: ReviewRecord;
}

export interface AnswerContext {
  requestId: string;
  /** What the provider gets (redacted when the route redacts). */
  body: ChatCompletionRequest;
  /** The caller's `response_format`; a json_schema there is checked. */
  responseFormat: unknown;
  admission: Admission;
  plan: RoutePlan;
  view: RequestStatusView;
  desk: ReviewDesk;
  /** Known before the call when the check does not depend on the answer (no local activity then). */
  knownCheck?: AnswerCheck | null;
  /** The ledger row for an answer that ends the request; used only when nothing is checked after the call. */
  rowOnAnswer?: CallContext['rowOnAnswer'];
  /** The first try, already made with admission (activities/prepare.ts): the first call takes it. */
  firstTry?: CallContext['firstTry'];
}

/**
 * The provider call plus what the route asks of the answer: validation after every answer (retry
 * once with a repair instruction, fall back, hold for review or fail with 422, as `onFailure` says),
 * then a human review when the route holds this answer. Every validation outcome is on its attempt.
 */
export async function checkedAnswer(ctx: AnswerContext): Promise<CheckedAnswer> {
  let body = ctx.body;
  let plan = ctx.plan;
  let candidates = ctx.plan.candidates;
  let retried = false;
  let lastInvalid: ValidationResult | undefined;
  // Nothing to check and nothing to hold: the first answer ends the request, and its call records it.
  const rowOnAnswer = answerEndsRequest(ctx.admission, ctx.knownCheck) ? ctx.rowOnAnswer : undefined;
  for (;;) {
    const answer = await callAfterInvalid({ ...ctx, plan }, body, candidates, lastInvalid, rowOnAnswer);
    // The route's fixed answer is its own text: never validated, never held for review.
    if (isFixedAnswer(answer.candidate)) return { answer };
    const attempt = ctx.view.attempts[ctx.view.attempts.length - 1];
    const content = answer.completion.choices[0]?.message.content ?? '';
    const check = ctx.knownCheck ?? (await checks.checkAnswer({ route: ctx.plan.route, content, responseFormat: ctx.responseFormat }));
    const invalid = check.validation !== null && !check.validation.ok;
    if (attempt && check.validation) markValidation(attempt, check.validation);
    if (invalid) {
      const step = nextStepForInvalid({
        onFailure: check.onFailure,
        retried,
        // A degraded answer has no next candidate: the normal ones already failed.
        hasNextCandidate: !answer.degraded && indexOf(candidates, answer.candidate) < candidates.length - 1,
        reviewOnFailure: check.review?.when.includes('on_validation_failure') ?? false,
      });
      const failedCheck = check.validation!;
      lastInvalid = failedCheck;
      if (step === 'fail') throw toFailure(validationFailed(failedCheck, ctx.view.attempts));
      if (step === 'retry') {
        retried = true;
        body = withRepair(ctx.body, failedCheck);
        candidates = answer.degraded ? [] : candidates.slice(indexOf(candidates, answer.candidate));
        // A degraded answer is retried on the degraded model (the plan's degraded part, already taken).
        if (answer.degraded && plan.degraded) plan = { ...plan, degraded: { ...plan.degraded, taken: answer.degraded } };
        continue;
      }
      if (step === 'fallback') {
        candidates = candidates.slice(indexOf(candidates, answer.candidate) + 1);
        continue;
      }
    }
    const reasons = holdReasonsFor(ctx.admission, check, invalid);
    if (reasons.length === 0) return { answer };
    const held = await ctx.desk.hold({
      route: ctx.plan.route,
      model: answer.candidate.model,
      content,
      settings: check.review ?? FALLBACK_REVIEW,
      reasons,
      validation: check.validation,
      prompt: promptForReview(ctx.body.messages),
      risk: ctx.admission.risk,
    });
    return applyDecision(answer, held.record, held.editedContent, ctx.view.attempts);
  }
}

/**
 * After an invalid answer, a provider failure on the retry or fallback still ends as that validation
 * failure. Not async: the first call (no invalid answer yet) is the call's own promise, no wrapper.
 */
function callAfterInvalid(
  ctx: AnswerContext,
  body: ChatCompletionRequest,
  candidates: Candidate[],
  lastInvalid: ValidationResult | undefined,
  rowOnAnswer: AnswerContext['rowOnAnswer'],
): Promise<Answer> {
  const call = callWithFallback(ctx.requestId, body, { ...ctx.plan, candidates }, ctx.view.attempts, rowOnAnswer, undefined, lastInvalid ? undefined : ctx.firstTry);
  if (!lastInvalid) return call;
  return call.catch((err: unknown) => {
    if (isCancellation(err) || !(err instanceof ApplicationFailure)) throw err;
    throw toFailure(validationFailed(lastInvalid, ctx.view.attempts));
  });
}

/** The attempt keeps its validation outcome; a failed one counts as a failed attempt (it is why we moved on). */
function markValidation(attempt: AttemptRecord, v: ValidationResult): void {
  attempt.validation = { ok: v.ok, summary: v.summary, failed: v.checks.filter((c) => !c.ok).map((c) => c.check) };
  if (!v.ok) Object.assign(attempt, { outcome: 'failed', error: OUTPUT_VALIDATION_FAILED, message: v.summary });
}

function applyDecision(answer: Answer, record: ReviewRecord, editedContent: string | undefined, attempts: AttemptRecord[]): CheckedAnswer {
  if (record.action === 'reject') throw toFailure(rejected(record, attempts));
  if (record.action !== 'edit' || editedContent === undefined) return { answer, review: record };
  const [first, ...rest] = answer.completion.choices;
  const edited = first ? { ...first, message: { ...first.message, content: editedContent } } : first;
  return { answer: { ...answer, completion: { ...answer.completion, choices: edited ? [edited, ...rest] : rest } }, review: record };
}

/** The repair prompt names the failed checks only; the failed answer is never repeated. */
function withRepair(body: ChatCompletionRequest, v: ValidationResult): ChatCompletionRequest {
  return { ...body, messages: [...body.messages, { role: 'system', content: repairInstruction(v) }] };
}

function indexOf(candidates: Candidate[], c: Candidate): number {
  return candidates.findIndex((x) => x.model === c.model);
}

/** 422 with the failed checks (secret-free summaries), never the answer itself. */
function validationFailed(v: ValidationResult, attempts: AttemptRecord[]): GatewayError {
  const failed = v.checks.filter((c) => !c.ok).map((c) => ({ check: c.check, message: c.message }));
  const { kind, code, status } = FAILURE_CONDUCT[OUTPUT_VALIDATION_FAILED].caller;
  return new GatewayError(kind, code, `The answer failed output validation: ${v.summary}`, {
    status,
    meta: { failed_checks: failed, attempts },
  });
}

function rejected(r: ReviewRecord, attempts: AttemptRecord[]): GatewayError {
  const byDeadline = r.by === 'deadline';
  const message = byDeadline ? `Review deadline passed: ${r.reason}` : `Rejected by reviewer ${r.by}: ${r.reason ?? 'no reason given'}`;
  return new GatewayError('OutputRejected', byDeadline ? 'review_deadline_passed' : 'review_rejected', message, {
    status: 422,
    meta: { review: r, attempts },
  });
}
