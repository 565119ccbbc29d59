import { FAILURE_CONDUCT, FAILURE_KINDS } from '../failures/table';

/**
 * The one upstream error type. Every provider adapter turns whatever its SDK or socket threw into
 * an `UpstreamError`; `classifyUpstreamError` then decides, in one table, what Temporal does with it.
 * Pure (no Node imports) so workflow code can share the failure-type names.
 */
export type UpstreamErrorKind = 'http' | 'timeout' | 'connection' | 'malformed';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    /** Provider's own error code, e.g. `context_length_exceeded`. */
    readonly providerCode?: string,
    /** From the `Retry-After` header, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** ApplicationFailure types of a failed provider attempt. */
export type ProviderFailureType =
  | 'ProviderRateLimited'
  | 'ProviderServerError'
  | 'ProviderConnectionError'
  | 'ProviderMalformedResponse'
  | 'ProviderTimeout'
  | 'ProviderAuthError'
  | 'ContextLengthExceeded'
  | 'ContentPolicyRejected'
  | 'ProviderRejected'
  /** The model cannot take this request's shape (e.g. an assistant prefill): adapt it, or fall back. */
  | 'UnsupportedRequestShape'
  /** The stream failed after part of it reached the caller: nothing can be retried unseen. */
  | 'StreamInterrupted';

export interface Classification {
  type: ProviderFailureType;
  /** Temporal may retry the same model. */
  retryable: boolean;
  /** Overrides the retry policy's backoff for this attempt (from Retry-After). */
  nextRetryDelayMs?: number;
}

/**
 * After the same-model attempts are spent (or for a non-retryable type), may the workflow try the
 * next approved candidate? Read from the failure table (src/failures): caller mistakes (a plain 4xx)
 * and content-policy refusals go back to the caller, as another model would see the same bad request.
 */
export const FALLBACK_ON: ReadonlySet<string> = new Set(FAILURE_KINDS.filter((k) => FAILURE_CONDUCT[k].nextCandidate));

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'content_filter']);
/** Provider codes for "this model does not accept that request shape" (not the caller's mistake). */
const SHAPE_CODES = new Set(['unsupported_prefill']);

/**
 * `delivered`: part of this attempt's stream already reached the caller. Whatever failed then, no
 * retry or fallback can happen unseen, so it is `StreamInterrupted` and goes back to the caller.
 */
export function classifyUpstreamError(err: UpstreamError, maxRetryDelayMs: number, delivered = false): Classification {
  if (delivered) return { type: 'StreamInterrupted', retryable: false };
  if (err.kind === 'timeout') return { type: 'ProviderTimeout', retryable: false }; // a silent provider stays silent
  if (err.kind === 'connection') return { type: 'ProviderConnectionError', retryable: true };
  if (err.kind === 'malformed') return { type: 'ProviderMalformedResponse', retryable: true };
  return classifyStatus(err, maxRetryDelayMs);
}

function classifyStatus(err: UpstreamError, maxRetryDelayMs: number): Classification {
  const status = err.status ?? 0;
  if (status === 429) {
    // A wait longer than the route allows is better spent on the next model.
    if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryDelayMs) {
      return { type: 'ProviderRateLimited', retryable: false };
    }
    return { type: 'ProviderRateLimited', retryable: true, nextRetryDelayMs: err.retryAfterMs };
  }
  if (status >= 500 || status === 408) {
    return { type: 'ProviderServerError', retryable: true, nextRetryDelayMs: err.retryAfterMs };
  }
  if (status === 401 || status === 403) return { type: 'ProviderAuthError', retryable: false };
  if (err.providerCode && CONTEXT_CODES.has(err.providerCode)) return { type: 'ContextLengthExceeded', retryable: false };
  if (err.providerCode && CONTENT_POLICY_CODES.has(err.providerCode)) return { type: 'ContentPolicyRejected', retryable: false };
  if (err.providerCode && SHAPE_CODES.has(err.providerCode)) return { type: 'UnsupportedRequestShape', retryable: false };
  if (status === 413) return { type: 'ContextLengthExceeded', retryable: false };
  return { type: 'ProviderRejected', retryable: false };
}

/** `Retry-After` is seconds or an HTTP date; `retry-after-ms` (OpenAI) wins when present. */
export function parseRetryAfter(header: string | null | undefined, msHeader?: string | null, now = Date.now()): number | undefined {
  if (msHeader && /^\d+(\.\d+)?$/.test(msHeader)) return Math.round(Number(msHeader));
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
