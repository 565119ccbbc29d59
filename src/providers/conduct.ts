import type { ChatCompletionRequest } from '../config/api';
import { GatewayError } from '../errors';
import { FALLBACK_ON, type ProviderFailureType } from './upstreamError';

/**
 * What the workflow does after one failed try of one candidate: the failure-conduct table in one
 * pure function (no Temporal imports, so workflows and unit tests share it). Every try is its own
 * activity, so the history and the response list each one with its error.
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

/** The worker running the try died (heartbeat timeout): the provider is not to blame. */
export const WORKER_LOST = 'WorkerLost';
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

/** The caller's error once lost workers spent `workerRetries`: it names the gateway, not the provider. */
export function gatewayWorkerLost(model: string, attempts: ReadonlyArray<{ error?: string }>): GatewayError {
  const lost = attempts.filter((a) => a.error === WORKER_LOST).length;
  const message = `The gateway lost the worker running the call to ${model} (${lost} ${lost === 1 ? 'time' : 'times'}); the provider did not fail. Retry later.`;
  return new GatewayError('Unavailable', 'gateway_worker_lost', message, { status: 503, meta: { attempts } });
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

/** A streaming caller hung up and the workflow's cancellation never reached the try. */
export const CALLER_DISCONNECTED = 'CallerDisconnected';

const KNOWN: ReadonlySet<string> = new Set<ProviderFailureType>([
  'ProviderRateLimited', 'ProviderServerError', 'ProviderConnectionError', 'ProviderMalformedResponse', 'ProviderTimeout',
  'ProviderAuthError', 'ContextLengthExceeded', 'ContentPolicyRejected', 'ProviderRejected', 'UnsupportedRequestShape',
  'StreamInterrupted',
]);

const BACKOFF = { baseMs: 200, rateLimitedBaseMs: 1000, maxMs: 5000 } as const;

/**
 * `retriesUsed`: retries already made on this model (0 after its first try failed). A lost worker
 * (`WORKER_LOST`) is not decided here but by `afterWorkerLost`, outside the provider's `retries`.
 */
export function afterFailure(f: TryFailure, retriesUsed: number, s: ConductSettings, canReshape: boolean, random: () => number): NextStep {
  if (f.type === 'UnsupportedRequestShape') return canReshape ? { kind: 'reshape' } : { kind: 'fallback' };
  // The caller already saw part of the answer, or is gone: nothing more to do for them.
  if (f.type === 'StreamInterrupted' || f.type === CALLER_DISCONNECTED) return { kind: 'stop' };
  if (f.retryable && retriesUsed < s.retries) {
    const delayMs = f.retryAfterMs ?? backoffMs(f.type, retriesUsed + 1, random);
    // Waiting out a long Retry-After is worse than asking the next model now.
    return delayMs > s.maxRetryWaitMs ? { kind: 'fallback' } : { kind: 'retry', delayMs };
  }
  // Unknown failures are our own trouble (a bug, a lost worker): another model may still answer.
  return FALLBACK_ON.has(f.type) || !KNOWN.has(f.type) ? { kind: 'fallback' } : { kind: 'stop' };
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
