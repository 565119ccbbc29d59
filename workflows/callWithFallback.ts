import type { ProviderCallResult } from '../activities';
import type { ChatCompletionRequest } from '../src/config/api';
import { GatewayError, toFailure } from '../src/errors';
import { isKillSwitchFailure } from '../src/routes/failures';
import type { Candidate, RoutePlan } from '../src/routing';
import type { AttemptRecord } from '../src/temporal/contract';
import { canContinueOn } from '../src/streaming/continuation';
import { tryCandidate, type CallContext } from './tryCandidate';

/** A try's result (chat: the completion; embeddings: the vectors) and the model that gave it. */
export type Answer<R = ProviderCallResult> = R & { candidate: Candidate };

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
  const c: CallContext<R> = { requestId, body, plan, attempts, rowOnAnswer, call };
  const answer = await callCandidates<R>(c);
  if (answer) return answer;
  // The caller has part of an answer nobody could continue: the error event they would have had.
  if (c.continuation) throw toFailure(callerFacingError(c.continuation.interrupted, attempts));
  const larger = plan.larger;
  if (larger && attempts.some((a) => a.error === 'ContextLengthExceeded')) {
    // Models that already said "too long" are not asked again.
    const tooSmall = new Set(attempts.filter((a) => a.error === 'ContextLengthExceeded').map((a) => a.model));
    const candidates = larger.candidates.filter((c) => !tooSmall.has(c.model));
    const escalated = await callCandidates<R>({ requestId, body, plan: { ...larger, candidates }, attempts, rowOnAnswer, call });
    if (escalated) return escalated;
  }
  throw toFailure(exhaustedError(attempts));
}

async function callCandidates<R extends { latencyMs: number }>(c: CallContext<R>): Promise<Answer<R> | undefined> {
  for (const candidate of c.plan.candidates) {
    // Once the caller has part of the answer, only a model that can continue it is asked (in plan order).
    if (c.continuation && !canContinueOn(candidate, c.refusedPrefill ?? new Set())) continue;
    const outcome = await tryCandidate(c, candidate);
    if (outcome.ok) return { ...outcome.result, candidate };
    if (outcome.next === 'stop') throw toFailure(callerFacingError(c.continuation?.interrupted ?? outcome.failure, c.attempts));
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
function exhaustedError(attempts: AttemptRecord[]): GatewayError {
  const first = attempts.find((a) => a.outcome === 'failed' && a.error !== 'UnsupportedRequestShape') ?? attempts[0];
  const original = first ? `${first.model}: ${first.message ?? first.error}${first.status ? ` (HTTP ${first.status})` : ''}` : 'no candidate';
  const allTimeouts = attempts.every((a) => a.error === 'ProviderTimeout');
  const onlyContext = attempts.every((a) => a.error === 'ContextLengthExceeded');
  if (onlyContext) return new GatewayError('ProviderRejected', 'context_length_exceeded', original, { status: 400, meta: { attempts } });
  // Release control: the kill switch refused every try of a request already in flight.
  if (attempts.length > 0 && attempts.every((a) => isKillSwitchFailure(a.error))) {
    return new GatewayError('ProviderUnavailable', 'route_disabled', original, { status: 503, meta: { attempts } });
  }
  return new GatewayError('ProviderUnavailable', allTimeouts ? 'provider_timeout' : 'provider_error', `All models failed. First error: ${original}`, {
    status: allTimeouts ? 504 : 502,
    meta: { attempts },
  });
}
