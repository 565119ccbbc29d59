import { GatewayError } from '../errors';

export type LimitErrorCode = 'rate_limit_exceeded' | 'loop_detected' | 'budget_exceeded';

/**
 * A 429 the HTTP layer can answer as is: `meta.retryAfterMs` and `meta.headers` (when known) are
 * what it should send back (`retry-after`, `x-ratelimit-*`).
 */
export function tooManyRequests(code: LimitErrorCode, message: string, meta: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('InvalidRequest', code, message, { status: 429, meta: { limit: code, ...meta } });
}

/** `retry-after` is whole seconds, rounded up so a client that obeys it is never early. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
