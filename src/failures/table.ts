import type { ErrorKind } from '../errors';
import type { FailureKind } from './kinds';

/** What the caller gets when a failure of this kind ends the request. */
export interface CallerError {
  kind: ErrorKind;
  status: number;
  /** The stable `code` of the error JSON. */
  code: string;
}

/** The conduct for one failure kind: one row of the table. */
export interface FailureConduct {
  /**
   * The same model again, while the route's `retries` last and the try came back retryable (a
   * Retry-After longer than `maxRetryWait` is not); `reshape`: at once, with the request adapted to
   * what the model accepts (without the prefill), when it can be.
   */
  retrySameModel: boolean | 'reshape';
  /** Then the plan's next candidate; false: the failure goes back to the caller at once. */
  nextCandidate: boolean;
  /** Counts against the model's circuit breaker: the model is unwell, not the request bad. */
  feedsBreaker: boolean;
  /** A stream that broke this way after the caller saw part of it may be continued by the next try. */
  continuation: boolean;
  /**
   * The model could not answer now (not the request's fault), so when every tried model ended this
   * way a route's queue may wait for it (`wait`, src/queue/decide.ts) and its reduced-output plan may
   * answer instead (`degraded`, src/routing/degraded.ts).
   */
  unavailable: { wait: boolean; degraded: boolean };
  /** What the caller gets when this failure ends the request. */
  caller: CallerError;
  /** For the documentation: what the row means when the columns do not say it all. */
  note?: string;
}

const unavailable = (code: string, status = 502): CallerError => ({ kind: 'ProviderUnavailable', status, code });
const rejected = (code: string): CallerError => ({ kind: 'ProviderRejected', status: 400, code });

/** Unwell or overloaded: retry, then the next model; the breaker counts it. */
const UNWELL = { retrySameModel: true, nextCandidate: true, feedsBreaker: true, continuation: false, unavailable: { wait: true, degraded: true }, caller: unavailable('provider_error') } as const;
/** Nothing more can be done for this request here: back to the caller. */
const FINAL = { retrySameModel: false, nextCandidate: false, feedsBreaker: false, continuation: false, unavailable: { wait: false, degraded: false } } as const;

/**
 * The one failure-conduct table: every decision about a failure (retry, fall back, count against the
 * breaker, continue a broken stream, what the caller sees) is a lookup here. The workflow
 * (src/providers/conduct.ts, workflows/callWithFallback.ts) and the provider activity read it.
 */
export const FAILURE_CONDUCT: Readonly<Record<FailureKind, FailureConduct>> = {
  ProviderServerError: { ...UNWELL, note: '5xx, 408' },
  ProviderRateLimited: { ...UNWELL, note: '429: waits its Retry-After (if within maxRetryWait), else backoff from 1 s' },
  ProviderConnectionError: { ...UNWELL, note: 'reset, refused, cut' },
  ProviderMalformedResponse: { ...UNWELL, unavailable: { wait: false, degraded: true }, note: 'a body or stream not in the documented shape' },
  ProviderTimeout: {
    ...UNWELL,
    retrySameModel: false, // a silent provider stays silent
    caller: unavailable('provider_timeout', 504),
    note: 'a deadline passed (headers, firstToken, idle, total) or the activity timed out',
  },
  ProviderAuthError: {
    retrySameModel: false,
    nextCandidate: true,
    feedsBreaker: false,
    continuation: false,
    unavailable: { wait: false, degraded: true },
    caller: unavailable('provider_error'),
    note: '401/403 from the provider: the gateway\'s key, not the caller\'s',
  },
  ContextLengthExceeded: {
    retrySameModel: false,
    nextCandidate: true,
    feedsBreaker: false,
    continuation: false,
    unavailable: { wait: false, degraded: false },
    caller: rejected('context_length_exceeded'),
    note: 'then the route\'s largerRoute',
  },
  UnsupportedRequestShape: {
    retrySameModel: 'reshape',
    nextCandidate: true,
    feedsBreaker: false,
    continuation: false,
    unavailable: { wait: false, degraded: false },
    caller: unavailable('provider_error'),
    note: 'e.g. an assistant prefill the model refuses: never the error shown when another failure exists',
  },
  ContentPolicyRejected: { ...FINAL, caller: rejected('content_policy_violation'), note: 'the provider\'s 4xx status is kept' },
  ProviderRejected: { ...FINAL, caller: rejected('provider_rejected_request'), note: 'a plain 4xx: the caller\'s mistake; the provider\'s status is kept' },
  StreamInterrupted: {
    ...FINAL,
    feedsBreaker: true,
    continuation: true,
    caller: unavailable('stream_interrupted'),
    note: 'the stream broke (cut, stall past idle, reset, an error event) after part of it reached the caller: continued by the next prefill-capable try (route `continuation`), else this error event',
  },
  ModelDisabled: {
    ...FINAL,
    nextCandidate: true,
    unavailable: { wait: true, degraded: true },
    caller: unavailable('route_disabled', 503),
    note: 'kill switch on the model, checked before every try; after a real failure, that failure is the answer',
  },
  RouteDisabled: {
    ...FINAL,
    nextCandidate: true,
    unavailable: { wait: true, degraded: false },
    caller: unavailable('route_disabled', 503),
    note: 'kill switch on the route, checked before every try; 503 even after a real failure',
  },
  WorkerLost: {
    retrySameModel: true,
    nextCandidate: false, // the other models run on the same workers
    feedsBreaker: false,
    continuation: false,
    unavailable: { wait: false, degraded: true },
    caller: { kind: 'Unavailable', status: 503, code: 'gateway_worker_lost' },
    note: 'the worker died mid-call (no heartbeat): run again elsewhere after 500 ms, up to the route\'s workerRetries, outside its retries; the gateway failed, not the provider',
  },
  CallerDisconnected: { ...FINAL, caller: { kind: 'Conflict', status: 409, code: 'request_cancelled' }, note: 'a streaming caller hung up' },
  OutputValidationFailed: {
    retrySameModel: true,
    nextCandidate: true,
    feedsBreaker: false,
    continuation: false,
    unavailable: { wait: false, degraded: false },
    caller: { kind: 'OutputRejected', status: 422, code: 'output_validation_failed' },
    note: 'as the route\'s validation onFailure says: retry once with a repair instruction, fall back, review or fail',
  },
  QueueTimeout: { ...FINAL, caller: unavailable('queue_timeout', 503), note: 'waited the route\'s queue maxWait' },
};

/**
 * A failure type the table does not know is our own trouble (a bug): another model may still
 * answer, and the try is retried when it says it may be. It never counts against a model's breaker.
 */
export const UNKNOWN_FAILURE: FailureConduct = {
  retrySameModel: true,
  nextCandidate: true,
  feedsBreaker: false,
  continuation: false,
  unavailable: { wait: false, degraded: false },
  caller: unavailable('provider_error'),
};

export const FAILURE_KINDS = Object.keys(FAILURE_CONDUCT) as FailureKind[];

export function isFailureKind(type: string | null | undefined): type is FailureKind {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(FAILURE_CONDUCT, type);
}

/** The row for a failure type; an unknown name gets UNKNOWN_FAILURE. */
export function conductOf(type: string | null | undefined): FailureConduct {
  return isFailureKind(type) ? FAILURE_CONDUCT[type] : UNKNOWN_FAILURE;
}

/** Does a try that failed this way count against the model's circuit breaker? */
export function feedsBreaker(type: string | null | undefined): boolean {
  return conductOf(type).feedsBreaker;
}
