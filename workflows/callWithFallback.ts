import type { ProviderCallResult } from '../activities';
import type { ChatCompletionRequest } from '../src/config/api';
import { toFailure } from '../src/errors';
import { exhaustedError, stoppedError } from '../src/failures';
import type { Candidate, RoutePlan } from '../src/routing';
import type { DegradedReason } from '../src/config/degraded';
import { FIXED_ANSWER_CANDIDATE, fixedAnswerCompletion, takeDegraded, unavailableAfter } from '../src/routing/degraded';
import type { AttemptRecord } from '../src/temporal/contract';
import { canContinueOn } from '../src/streaming/continuation';
import { tryCandidate, type CallContext } from './tryCandidate';

/** A try's result (chat: the completion; embeddings: the vectors) and the model that gave it. */
export type Answer<R = ProviderCallResult> = R & {
  candidate: Candidate;
  /** The route's reduced-output plan answered, for this reason (src/routing/degraded.ts). */
  degraded?: DegradedReason;
};

/**
 * Calls the plan's candidates in order; each candidate gets its tries (retries, waits, a reshaped
 * request) from `tryCandidate`. When they are spent, or the failure is a timeout or over-limit, the
 * next approved candidate runs. A caller mistake (plain 4xx) ends the request at once with the
 * provider's reason. A prompt too long for every model goes on to the route's `largerRoute`.
 */
export async function callWithFallback<R extends { latencyMs: number } = ProviderCallResult>(
  requestId: string,
  body: ChatCompletionRequest,
  plan: RoutePlan,
  attempts: AttemptRecord[],
  rowOnAnswer?: CallContext['rowOnAnswer'],
  /** Another operation's try (embeddings); absent: chat. */
  call?: CallContext<R>['call'],
  /** The first try, already made with admission: taken by the plan's first candidate's first try. */
  firstTry?: CallContext<R>['firstTry'],
): Promise<Answer<R>> {
  const c: CallContext<R> = { requestId, body, plan, attempts, rowOnAnswer, call, firstTry };
  const answer = await callCandidates<R>(c);
  if (answer) return answer;
  // The caller has part of an answer nobody could continue: the error event they would have had.
  if (c.continuation) throw toFailure(stoppedError(c.continuation.interrupted, attempts));
  const larger = plan.larger;
  if (larger && attempts.some((a) => a.error === 'ContextLengthExceeded')) {
    // Models that already said "too long" are not asked again.
    const tooSmall = new Set(attempts.filter((a) => a.error === 'ContextLengthExceeded').map((a) => a.model));
    const candidates = larger.candidates.filter((c) => !tooSmall.has(c.model));
    const escalated = await callCandidates<R>({ requestId, body, plan: { ...larger, candidates }, attempts, rowOnAnswer, call });
    if (escalated) return escalated;
  }
  if (!call) {
    const reduced = await callDegraded({ requestId, body, plan, attempts, rowOnAnswer });
    if (reduced) return reduced as unknown as Answer<R>; // no `call`: chat, so R is ProviderCallResult
  }
  throw toFailure(exhaustedError(attempts));
}

/**
 * The route's reduced-output plan, when `takeDegraded` says so: it is already taken (planning left
 * the normal plan), or every candidate failed with an availability failure. Its model first (the lower
 * cap, the same tries and conduct), then its fixed answer, which is never a provider call.
 */
async function callDegraded(c: CallContext): Promise<Answer | undefined> {
  const d = c.plan.degraded;
  const reason = d?.taken ?? (unavailableAfter(c.attempts) ? 'unavailable' : undefined);
  if (!d || !reason || !takeDegraded(d, d.choice, reason)) return undefined;
  const candidate = d.candidate;
  if (candidate) {
    const rowOnAnswer = c.rowOnAnswer && markedRow(c.rowOnAnswer, reason);
    const outcome = await tryCandidate({ ...c, plan: { ...c.plan, candidates: [candidate] }, rowOnAnswer }, candidate);
    if (outcome.ok) return { ...outcome.result, candidate, degraded: reason };
    if (outcome.next === 'stop') throw toFailure(stoppedError(outcome.failure, c.attempts));
  }
  if (d.answer === undefined) return undefined;
  c.attempts.push({ model: FIXED_ANSWER_CANDIDATE.model, outcome: 'ok', try: 1, latencyMs: 0 });
  const completion = fixedAnswerCompletion(c.requestId, d.answer, Math.floor(Date.now() / 1000));
  return { completion, latencyMs: 0, candidate: FIXED_ANSWER_CANDIDATE, degraded: reason };
}

/** The ledger row a degraded model's answer writes itself says it was degraded. */
function markedRow(rowOnAnswer: NonNullable<CallContext['rowOnAnswer']>, reason: DegradedReason): NonNullable<CallContext['rowOnAnswer']> {
  return (candidate, attempts) => {
    const r = rowOnAnswer(candidate, attempts);
    return { ...r, row: { ...r.row, degraded: reason } };
  };
}

async function callCandidates<R extends { latencyMs: number }>(c: CallContext<R>): Promise<Answer<R> | undefined> {
  for (const candidate of c.plan.candidates) {
    // Once the caller has part of the answer, only a model that can continue it is asked (in plan order).
    if (c.continuation && !canContinueOn(candidate, c.refusedPrefill ?? new Set())) continue;
    const outcome = await tryCandidate(c, candidate);
    if (outcome.ok) return { ...outcome.result, candidate };
    if (outcome.next === 'stop') throw toFailure(stoppedError(c.continuation?.interrupted ?? outcome.failure, c.attempts));
  }
  return undefined;
}
