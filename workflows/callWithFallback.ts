import type { ProviderCallResult } from '../activities';
import type { ChatCompletionRequest } from '../src/config/api';
import { toFailure } from '../src/errors';
import { exhaustedError, stoppedError } from '../src/failures';
import type { Candidate, RoutePlan } from '../src/routing';
import type { AttemptRecord } from '../src/temporal/contract';
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
  throw toFailure(exhaustedError(attempts));
}

async function callCandidates<R extends { latencyMs: number }>(c: CallContext<R>): Promise<Answer<R> | undefined> {
  for (const candidate of c.plan.candidates) {
    const outcome = await tryCandidate(c, candidate);
    if (outcome.ok) return { ...outcome.result, candidate };
    if (outcome.next === 'stop') throw toFailure(stoppedError(outcome.failure, c.attempts));
  }
  return undefined;
}
