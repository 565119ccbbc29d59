import type { ChatCompletionRequest } from '../config/api';
import { conductOf } from '../failures/table';

export { CALLER_DISCONNECTED, WORKER_LOST } from '../failures/kinds';

/**
 * What the workflow does after one failed try of one candidate, read from the failure table
 * (src/failures), in one pure function (no Temporal imports, so workflows and unit tests share it).
 * Every try is its own activity, so the history and the response list each one with its error.
 */
export interface TryFailure {
  /** ApplicationFailure type from the activity boundary, or `WorkerLost` / an unknown name. */
  type: string;
  retryable: boolean;
  /** The provider's Retry-After, when it sent one. */
  retryAfterMs?: number;
}

export interface ConductSettings {
  /** Extra tries on the same model for retryable failures (the route's `retries`). */
  retries: number;
  /** Longest wait the route accepts before a retry (`maxRetryWait`); longer: fail over now. */
  maxRetryWaitMs: number;
}

export type NextStep =
  | { kind: 'retry'; delayMs: number } // the same model again, after a wait
  | { kind: 'reshape' } // the same model again at once, with the request adapted to what it accepts
  | { kind: 'fallback' } // the next candidate
  | { kind: 'stop' }; // back to the caller with this failure

/** Tries of one model re-run after a lost worker, when the route sets no `workerRetries`. */
export const DEFAULT_WORKER_RETRIES = 2;
/** The fixed pause before re-running a try whose worker died (the heartbeat timeout already waited). */
export const WORKER_LOST_WAIT_MS = 500;

/**
 * After the worker running a try died (SIGKILL, OOM, deploy): the provider was not shown to fail, so
 * the try runs again on another worker, outside the route's `retries` and without backoff, up to
 * `workerRetries` times; then the caller is told the gateway failed (`stop`: another model would run
 * on the same workers). Never fed to a circuit breaker (the activity never saw a provider failure).
 * `lostSoFar`: tries of this model already lost, this one included.
 */
export function afterWorkerLost(lostSoFar: number, workerRetries = DEFAULT_WORKER_RETRIES): NextStep {
  return lostSoFar <= workerRetries ? { kind: 'retry', delayMs: WORKER_LOST_WAIT_MS } : { kind: 'stop' };
}

/** Malformed chunks one stream may carry among valid ones; one more and the try fails as malformed. */
export const MAX_SKIPPED_CHUNKS = 3;

/**
 * A stream chunk that cannot be read (not JSON, not a chunk): skip it (the caller never sees it; the
 * try reports it) or fail the try as today. A `strictStreams` route fails at once; so does a stream
 * past `MAX_SKIPPED_CHUNKS` (more garbage than a glitch). `skippedBefore`: this try's earlier skips.
 */
export function onMalformedChunk(skippedBefore: number, strict: boolean): 'skip' | 'fail' {
  return !strict && skippedBefore < MAX_SKIPPED_CHUNKS ? 'skip' : 'fail';
}

/** The warning (response and ledger) for a try that skipped malformed chunks. */
export function skippedChunksWarning(provider: string, skipped: number): string {
  return `provider ${provider}: ${skipped} malformed stream ${skipped === 1 ? 'chunk' : 'chunks'} skipped`;
}

const BACKOFF = { baseMs: 200, rateLimitedBaseMs: 1000, maxMs: 5000 } as const;

/**
 * `retriesUsed`: retries already made on this model (0 after its first try failed). The failure's
 * row in FAILURE_CONDUCT (src/failures) decides; an unknown type (our own bug) may retry when the
 * try says it is retryable, then falls back: another model may still answer. A lost worker
 * (`WORKER_LOST`) is decided by `afterWorkerLost`, outside the provider's `retries`.
 */
export function afterFailure(f: TryFailure, retriesUsed: number, s: ConductSettings, canReshape: boolean, random: () => number): NextStep {
  const row = conductOf(f.type);
  const onward: NextStep = row.nextCandidate ? { kind: 'fallback' } : { kind: 'stop' };
  if (row.retrySameModel === 'reshape') return canReshape ? { kind: 'reshape' } : onward;
  if (row.retrySameModel && f.retryable && retriesUsed < s.retries) {
    const delayMs = f.retryAfterMs ?? backoffMs(f.type, retriesUsed + 1, random);
    // Waiting out a long Retry-After is worse than asking the next model now.
    return delayMs > s.maxRetryWaitMs ? onward : { kind: 'retry', delayMs };
  }
  return onward;
}

/**
 * Exponential backoff with jitter (×0.5–1.5), so callers rate-limited together do not come back
 * together. 429 without Retry-After starts at 1 s (the provider is saturated), others at 200 ms.
 */
export function backoffMs(type: string, retry: number, random: () => number): number {
  const base = type === 'ProviderRateLimited' ? BACKOFF.rateLimitedBaseMs : BACKOFF.baseMs;
  const exp = Math.min(BACKOFF.maxMs, base * 2 ** Math.max(0, retry - 1));
  return Math.round(exp * (0.5 + random()));
}

/** A trailing assistant message is a prefill ("continue from here"); some models refuse it. */
export function hasPrefill(body: ChatCompletionRequest): boolean {
  return body.messages.length > 1 && body.messages.at(-1)?.role === 'assistant';
}

/** The same request without its prefill: the model answers from scratch instead of continuing. */
export function withoutPrefill(body: ChatCompletionRequest): ChatCompletionRequest {
  return hasPrefill(body) ? { ...body, messages: body.messages.slice(0, -1) } : body;
}
