import { GatewayError } from '../errors';
import type { AttemptRecord } from '../temporal/contract';
import { ROUTE_DISABLED, WORKER_LOST, isKillSwitchFailure } from './kinds';
import { conductOf } from './table';

/**
 * The error for a failure that goes back to the caller at once (its row says no next candidate):
 * the row's status and code; a refusal keeps the provider's own 4xx status.
 */
export function stoppedError(a: AttemptRecord, attempts: AttemptRecord[]): GatewayError {
  const { kind, status, code } = conductOf(a.error).caller;
  const providerStatus = kind === 'ProviderRejected' && a.status && a.status >= 400 && a.status < 500 ? a.status : undefined;
  const message =
    a.error === 'StreamInterrupted'
      ? `${a.model}: the stream broke mid-answer: ${a.message ?? 'unknown error'}` // part already reached the caller
      : a.error === WORKER_LOST
        ? workerLostMessage(a.model, attempts)
        : `${a.model}: ${a.message ?? 'rejected by provider'}`;
  return new GatewayError(kind, code, message, { status: providerStatus ?? status, meta: { attempts } });
}

/**
 * Nowhere left to go. The route's kill switch refused the last try, or the kill switch refused every
 * try: the route is disabled (503 `route_disabled`), even after a real failure before it. One kind of
 * failure throughout: that kind's row. Otherwise every model failed (502 `provider_error`). The
 * message reports the first (original) provider error; a model that merely refused the request's
 * shape (prefill) is never the one shown. A disabled fallback model (ModelDisabled after a real
 * failure) leaves the real failure as the answer: the route itself is still on.
 */
export function exhaustedError(all: AttemptRecord[]): GatewayError {
  // Only the models called decide (a plan-time refusal recorded as try 0 is why a degraded plan was
  // taken, not a failure); every attempt is still reported.
  const attempts = all.filter((a) => a.try !== 0);
  const first = attempts.find((a) => a.outcome === 'failed' && a.error !== 'UnsupportedRequestShape') ?? attempts[0];
  const original = first ? `${first.model}: ${first.message ?? first.error}${first.status ? ` (HTTP ${first.status})` : ''}` : 'no candidate';
  const meta = { attempts: all };
  const last = attempts.at(-1);
  if (last?.error === ROUTE_DISABLED || (attempts.length > 0 && attempts.every((a) => isKillSwitchFailure(a.error)))) {
    // Release control stopped the request: say so, with the real failure when there was one.
    const message = isKillSwitchFailure(first?.error) ? original : `${last!.model}: ${last!.message ?? last!.error}; first error: ${original}`;
    return error(conductOf(last!.error).caller, message, meta);
  }
  const kinds = new Set(attempts.map((a) => a.error));
  const only = kinds.size === 1 ? conductOf(attempts[0]!.error).caller : undefined;
  if (only?.kind === 'ProviderRejected') return error(only, original, meta); // e.g. too long for every model
  return error(only ?? conductOf(undefined).caller, `All models failed. First error: ${original}`, meta);
}

function error(e: { kind: GatewayError['kind']; status: number; code: string }, message: string, meta: Record<string, unknown>): GatewayError {
  return new GatewayError(e.kind, e.code, message, { status: e.status, meta });
}

/** Lost workers spent the route's `workerRetries`: the message names the gateway, never the provider. */
function workerLostMessage(model: string, attempts: readonly AttemptRecord[]): string {
  const lost = attempts.filter((a) => a.error === WORKER_LOST).length;
  return `The gateway lost the worker running the call to ${model} (${lost} ${lost === 1 ? 'time' : 'times'}); the provider did not fail. Retry later.`;
}
