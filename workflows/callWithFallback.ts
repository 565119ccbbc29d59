import type { ProviderCallResult } from '../activities';
import type { ChatCompletionRequest } from '../src/config/api';
import { GatewayError, toFailure } from '../src/errors';
import { isKillSwitchFailure } from '../src/routes/failures';
import type { Candidate, RoutePlan } from '../src/routing';
import type { DegradedReason } from '../src/config/degraded';
import { FIXED_ANSWER_CANDIDATE, fixedAnswerCompletion, takeDegraded, unavailableAfter } from '../src/routing/degraded';
import type { AttemptRecord } from '../src/temporal/contract';
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
): Promise<Answer<R>> {
  const answer = await callCandidates<R>({ requestId, body, plan, attempts, rowOnAnswer, call });
  if (answer) return answer;
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
    if (outcome.next === 'stop') throw toFailure(callerFacingError(outcome.failure, c.attempts));
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
    const outcome = await tryCandidate(c, candidate);
    if (outcome.ok) return { ...outcome.result, candidate };
    if (outcome.next === 'stop') throw toFailure(callerFacingError(outcome.failure, c.attempts));
  }
  return undefined;
}

/** A failure the caller must fix (or a refusal): the provider's own status and reason. */
function callerFacingError(a: AttemptRecord, attempts: AttemptRecord[]): GatewayError {
  if (a.error === 'StreamInterrupted') {
    // Part of the answer already reached the caller: say it broke, with the provider's reason.
    return new GatewayError('ProviderUnavailable', 'stream_interrupted', `${a.model}: the stream broke mid-answer: ${a.message ?? 'unknown error'}`, {
      status: 502,
      meta: { attempts },
    });
  }
  const code =
    a.error === 'ContentPolicyRejected' ? 'content_policy_violation' : a.error === 'ContextLengthExceeded' ? 'context_length_exceeded' : 'provider_rejected_request';
  const status = a.status && a.status >= 400 && a.status < 500 ? a.status : 400;
  return new GatewayError('ProviderRejected', code, `${a.model}: ${a.message ?? 'rejected by provider'}`, {
    status,
    meta: { attempts },
  });
}

/**
 * Nowhere left to go: report the first (original) provider error, and every attempt. A model that
 * merely refused the request's shape (prefill) is never the reason shown: the real failure is.
 */
function exhaustedError(all: AttemptRecord[]): GatewayError {
  // Only the models called (a plan-time refusal shown as try 0 is why the degraded plan was taken, not a failure).
  const attempts = all.filter((a) => a.try !== 0);
  const first = attempts.find((a) => a.outcome === 'failed' && a.error !== 'UnsupportedRequestShape') ?? attempts[0];
  const original = first ? `${first.model}: ${first.message ?? first.error}${first.status ? ` (HTTP ${first.status})` : ''}` : 'no candidate';
  const allTimeouts = attempts.every((a) => a.error === 'ProviderTimeout');
  const onlyContext = attempts.every((a) => a.error === 'ContextLengthExceeded');
  if (onlyContext) return new GatewayError('ProviderRejected', 'context_length_exceeded', original, { status: 400, meta: { attempts: all } });
  // Release control: the kill switch refused every try of a request already in flight.
  if (attempts.length > 0 && attempts.every((a) => isKillSwitchFailure(a.error))) {
    return new GatewayError('ProviderUnavailable', 'route_disabled', original, { status: 503, meta: { attempts: all } });
  }
  return new GatewayError('ProviderUnavailable', allTimeouts ? 'provider_timeout' : 'provider_error', `All models failed. First error: ${original}`, {
    status: allTimeouts ? 504 : 502,
    meta: { attempts: all },
  });
}
