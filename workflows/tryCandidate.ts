import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities, ProviderCallResult, ProviderFailureDetails } from '../activities';
import type { ChatCompletionRequest } from '../src/config/api';
import { WORKER_LOST, afterFailure, afterWorkerLost, hasPrefill, withoutPrefill, type TryFailure } from '../src/providers/conduct';
import type { Candidate, RoutePlan } from '../src/routing';
import { canContinueOn, mayContinue, type DeliveredPart } from '../src/streaming/continuation';
import type { AttemptRecord, RowOnAnswer } from '../src/temporal/contract';
import { answeredAttempt, tryInputOf, type TryInput } from '../src/routing/firstTry';
import type { FirstTry } from '../activities/prepare';
import type { Answer } from './callWithFallback';

/** The activity enforces the route's deadlines itself; Temporal's timeout is the backstop for a hung worker. */
export const DEADLINE_SLACK_MS = 2_000;

/** The provider activities a try may run (one per operation). */
export type ProviderActivities = Pick<Activities, 'callProvider' | 'callEmbeddings'>;
export type { TryInput };

export interface CallContext<R extends { latencyMs: number } = ProviderCallResult> {
  requestId: string;
  /** The chat request (for embeddings: its inputs as admission saw them, never sent; see `call`). */
  body: ChatCompletionRequest;
  plan: RoutePlan;
  /** Every try is appended here, failed or not (the request's attempt list). */
  attempts: AttemptRecord[];
  /** When an answer ends the request: its ledger row, given the model and the attempts up to this try. */
  rowOnAnswer?: (candidate: Candidate, attempts: AttemptRecord[]) => RowOnAnswer;
  /** Another operation's try (embeddings): its activity, given the try's input. Absent: chat's callProvider with `body`. */
  call?: (activities: ProviderActivities, input: TryInput) => Promise<R>;
  /** Set once a stream broke after the caller saw part of it and may be continued: every later try continues it. */
  continuation?: Continuation;
  /** Models that refused an assistant prefill in this request: never asked to continue. */
  refusedPrefill?: Set<string>;
  /**
   * The request's first try, made by admission's local activity (src/routing/firstTry.ts), when it
   * failed: raised by the first try here, where its own call would have failed. (An answered one
   * never reaches the chain: `firstTryAnswer`.)
   */
  firstTry?: FailedFirstTry;
}

/** The answer the caller has so far, and the try whose break they saw (the error they get if nobody continues). */
export interface Continuation {
  from: DeliveredPart;
  interrupted: AttemptRecord;
}

/** A first try made with admission that failed. */
export type FailedFirstTry = Extract<FirstTry, { failure: unknown }>;

export type CandidateOutcome<R = ProviderCallResult> =
  | { ok: true; result: R }
  | { ok: false; failure: AttemptRecord; next: 'fallback' | 'stop' };

/**
 * All tries of one candidate. Each try is its own activity (Temporal retries nothing by itself),
 * so the history shows every try with its error, and the waits between them are durable timers:
 * the provider's Retry-After, else backoff with jitter, as `afterFailure` decides.
 */
export async function tryCandidate<R extends { latencyMs: number } = ProviderCallResult>(c: CallContext<R>, candidate: Candidate): Promise<CandidateOutcome<R>> {
  const activities = providerProxy(c.plan);
  let body = c.body;
  let retriesUsed = 0;
  let workersLost = 0;
  for (let tryNo = 1; ; tryNo++) {
    const adapted = c.continuation ? 'continuation' : body === c.body ? undefined : 'without_prefill';
    const answered = (latencyMs: number, skippedChunks?: number) => answeredAttempt(candidate, tryNo, latencyMs, adapted, skippedChunks);
    const given = takeFirstTry(c, candidate);
    try {
      if (given) throw ApplicationFailure.create(given.failure);
      const input = tryInputOf(c.plan, candidate, {
        requestId: c.requestId,
        attempt: c.attempts.length + 1,
        recordOnAnswer: c.rowOnAnswer?.(candidate, [...c.attempts, answered(0)]),
        continues: c.continuation?.from,
      });
      // Chat: the budget's cap on the answer goes where the request is built (maxOutputTokens).
      const chat = () => activities.callProvider({ ...input, body, maxOutputTokens: candidate.maxOutputTokens }) as Promise<unknown> as Promise<R>;
      const result = await (c.call ? c.call(activities, input) : chat());
      c.attempts.push(answered(result.latencyMs, (result as { skippedChunks?: number }).skippedChunks));
      return { ok: true, result };
    } catch (err) {
      if (isCancellation(err)) throw err; // the caller cancelled: no retry, no fallback
      const { record, facts, delivered } = describeFailure(candidate.model, err);
      Object.assign(record, candidate.deployment ? { deployment: candidate.deployment } : {}, { try: tryNo }, adapted ? { adapted } : {});
      c.attempts.push(record);
      if (mayContinue(facts.type, delivered, c.plan.continuation === true)) {
        // The caller has part of the answer: the next try continues it (this model first, if it may).
        record.delivered = { chunks: delivered.chunks, chars: delivered.text.length };
        c.continuation = { from: delivered, interrupted: c.continuation?.interrupted ?? record };
        if (retriesUsed >= c.plan.retries || !canContinueOn(candidate, refused(c))) return { ok: false, failure: record, next: 'fallback' };
        retriesUsed++;
        continue;
      }
      if (facts.type === 'UnsupportedRequestShape') refused(c).add(candidate.model); // learned: never asked to continue
      // A lost worker is the gateway's failure: its own budget, never the provider's `retries`. A
      // continuation refused is not reshaped (that would restart the answer the caller half has): next model.
      const next =
        facts.type === WORKER_LOST
          ? afterWorkerLost(++workersLost, c.plan.workerRetries)
          : afterFailure(facts, retriesUsed, c.plan, hasPrefill(body) && !c.continuation, Math.random);
      if (next.kind === 'reshape') {
        body = withoutPrefill(body); // the model refuses the prefill: restart cleanly without it
        continue;
      }
      if (next.kind === 'retry') {
        if (facts.type !== WORKER_LOST) retriesUsed++;
        record.retryInMs = next.delayMs;
        await sleep(next.delayMs);
        continue;
      }
      return { ok: false, failure: record, next: next.kind };
    }
  }
}

/**
 * The first try admission made, when it answered: the request's answer and its attempt, taken
 * without the call chain. `mayRunFirstTry` made it only where nothing is checked or held after it,
 * so the chain would only wrap it in ~10 workflow promises (each a stack capture by the SDK).
 */
export function firstTryAnswer(plan: RoutePlan, given: FirstTry | undefined): { answer: Answer; attempt: AttemptRecord } | undefined {
  const candidate = plan.candidates[0];
  if (!given || !('result' in given) || !candidate || candidate.model !== given.model) return undefined;
  const r = given.result;
  return { answer: { ...r, candidate }, attempt: answeredAttempt(candidate, 1, r.latencyMs, undefined, r.skippedChunks) };
}

/** The failed first try admission made, once, for the plan's first candidate; later tries call as usual. */
function takeFirstTry(c: CallContext<{ latencyMs: number }>, candidate: Candidate): FailedFirstTry | undefined {
  const given = c.firstTry;
  c.firstTry = undefined;
  return given && given.model === candidate.model ? given : undefined;
}

function refused(c: CallContext<{ latencyMs: number }>): Set<string> {
  return (c.refusedPrefill ??= new Set());
}

/** A regular activity (heartbeats, any worker) or, for short calls, a local one (no round trip). */
function providerProxy(plan: RoutePlan) {
  const startToCloseTimeout = plan.timeoutMs + DEADLINE_SLACK_MS;
  const retry = { maximumAttempts: 1 };
  return plan.localCall
    ? proxyLocalActivities<ProviderActivities>({ startToCloseTimeout, retry })
    : proxyActivities<ProviderActivities>({ startToCloseTimeout, heartbeatTimeout: '5s', retry });
}

export function describeFailure(model: string, err: unknown): { record: AttemptRecord; facts: TryFailure; delivered?: DeliveredPart } {
  // A local activity's failure can arrive unwrapped; a regular one is an ActivityFailure around it.
  const cause = err instanceof ActivityFailure ? err.cause : err instanceof ApplicationFailure || err instanceof TimeoutFailure ? err : undefined;
  if (!cause) throw err; // not a provider outcome: let the workflow task fail loudly
  if (cause instanceof ApplicationFailure) {
    const d = (cause.details?.[0] ?? {}) as ProviderFailureDetails;
    const type = cause.type ?? 'ProviderError';
    return {
      record: { model, outcome: 'failed', error: type, message: cause.message, status: d.status },
      facts: { type, retryable: !cause.nonRetryable, retryAfterMs: d.retryAfterMs },
      delivered: d.delivered,
    };
  }
  if (cause instanceof TimeoutFailure && cause.timeoutType === 'HEARTBEAT') {
    // The worker died mid-call (no heartbeat): run the try again elsewhere; the provider is not to blame.
    return { record: { model, outcome: 'failed', error: WORKER_LOST, message: 'worker stopped heartbeating' }, facts: { type: WORKER_LOST, retryable: true } };
  }
  if (cause instanceof TimeoutFailure) {
    const message = `activity ${cause.timeoutType} timeout`;
    return { record: { model, outcome: 'failed', error: 'ProviderTimeout', message }, facts: { type: 'ProviderTimeout', retryable: false } };
  }
  const message = cause.message;
  return { record: { model, outcome: 'failed', error: 'ProviderError', message }, facts: { type: 'ProviderError', retryable: true } };
}
