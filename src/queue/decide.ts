import { FAILURE_CONDUCT, conductOf, isFailureKind } from '../failures/table';
import { parseDuration } from '../config/duration';
import type { QueueConfig } from '../config/resilience';
import { routesForTask } from '../routing/taskRoutes';
import { GatewayError, invalidRequest } from '../errors';

/**
 * The queue: a route's fallback to waiting (route option `queue: { maxWait, holdSync }`). When no
 * candidate can answer, the request waits durably (a workflow timer) and is planned and tried
 * again, until `maxWait`. Pure decisions only; workflows/queue.ts runs them. Workflow-safe.
 */

/** Why a request waits: every candidate is unavailable for one of these. */
export type QueueReason = 'breakers_open' | 'route_disabled' | 'provider_outage' | 'rate_limited';

/** The route's queue as one request applies it (the caller may shorten, or opt out of, it). */
export interface QueueSettings {
  maxWaitMs: number;
  /** A synchronous caller waits this long, then gets 202 + Location. */
  holdSyncMs: number;
}

/** `x-gatehouse-queue`: `no` (fail at once, as without a queue) or a duration that shortens `maxWait`. */
export type QueuePreference = 'off' | { maxWaitMs: number };

/** The failure kind of a request that waited `maxWait` in vain (for the failure table). */
export const QUEUE_TIMEOUT = 'QueueTimeout';

/** The failure table's row for QueueTimeout (src/failures/table.ts): it ends the request with 503 `queue_timeout`. */
export const QUEUE_TIMEOUT_ROW = FAILURE_CONDUCT.QueueTimeout;

export const REASON_TEXT: Record<QueueReason, string> = {
  breakers_open: 'every model of the route has its circuit breaker open',
  route_disabled: 'the route (or every model of it) is disabled by the kill switch',
  provider_outage: 'every model failed with a server, connection or timeout error',
  rate_limited: 'every model is rate-limited by its provider',
};

/** Attempt errors that say "not available now" (a later try may succeed), not "this request is wrong". */
const KILL_SWITCH: ReadonlySet<string> = new Set(['ModelDisabled', 'RouteDisabled']);

/**
 * THE decision whether a failure queues (else it ends the request as today), and why. `code` is the
 * gateway error's code; `attempts` are this round's tries (none when the plan itself failed).
 * A plan failure queues only when a breaker or the kill switch emptied it (the planner's message
 * names the skip reasons; typed skip reasons will replace the match).
 */
export function queueReason(failure: { code: string; message: string }, attempts: ReadonlyArray<{ outcome: string; error?: string }>): QueueReason | undefined {
  if (failure.code === 'route_disabled' && attempts.length === 0) return 'route_disabled';
  if (failure.code === 'no_available_model') return /circuit open/.test(failure.message) ? 'breakers_open' : undefined;
  if (!['provider_error', 'provider_timeout', 'route_disabled'].includes(failure.code)) return undefined;
  // A prefill refusal is reshaped, not a reason; anything else must say "unavailable".
  const errors = attempts.filter((a) => a.outcome === 'failed' && a.error !== 'UnsupportedRequestShape').map((a) => a.error ?? '');
  if (errors.length === 0 || !errors.every((e) => isFailureKind(e) && conductOf(e).unavailable.wait)) return undefined;
  if (errors.every((e) => KILL_SWITCH.has(e))) return 'route_disabled';
  return errors.every((e) => e === 'ProviderRateLimited') ? 'rate_limited' : 'provider_outage';
}

const WAKE = { firstMs: 1_000, maxMs: 30_000, maxRounds: 100 } as const;

/**
 * How long to sleep before the next plan-and-try: 1 s, 2 s, 4 s … at most 30 s (a breaker's
 * cool-down or a provider's Retry-After is passed within one or two wakes), never past `maxWait`
 * (a last try is made at `maxWait`). A long `maxWait` stretches the longest sleep to a hundredth of
 * it, so a request makes about a hundred rounds at most and its history stays small (24 h: ~15 min).
 * `round` counts the waits so far (0 = first).
 */
export function queueWakeMs(round: number, remainingMs: number, maxWaitMs = 0): number {
  const longest = Math.max(WAKE.maxMs, Math.ceil(maxWaitMs / WAKE.maxRounds));
  const backoff = Math.min(longest, WAKE.firstMs * 2 ** Math.min(round, 30));
  return Math.max(0, Math.min(backoff, remainingMs));
}

/** Whether a request of this task may wait in a queue (the front door then checks for the 202 hold). */
export function taskMayQueue(routes: ReadonlyArray<{ match: { task: string }; queue?: unknown }>, task: string | undefined, pref?: QueuePreference): boolean {
  return pref !== 'off' && routesForTask(routes, task).some((r) => r.queue !== undefined);
}

/** The queue this request uses: the route's, shortened or switched off by the caller; undefined = no waiting. */
export function queueSettings(route: QueueConfig | undefined, pref: QueuePreference | undefined): QueueSettings | undefined {
  if (!route || pref === 'off') return undefined;
  const maxWaitMs = Math.min(parseDuration(route.maxWait), pref?.maxWaitMs ?? Infinity);
  return { maxWaitMs, holdSyncMs: Math.min(parseDuration(route.holdSync), maxWaitMs) };
}

const HEADER_DURATION = /^\d{1,9}(ms|s|m|h)$/;

/** `x-gatehouse-queue: no | <duration>`; absent = the route's queue as configured. Bad values are a 400. */
export function parseQueuePreference(value: string | undefined): QueuePreference | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'no' || v === 'off') return 'off';
  if (HEADER_DURATION.test(v)) return { maxWaitMs: parseDuration(v) };
  throw invalidRequest('invalid_queue_preference', 'x-gatehouse-queue must be "no" or a duration like "30s" (at most the route\'s queue maxWait)');
}

/** `maxWait` passed and still nothing could answer: 503 naming how long it waited and why. */
export function queueTimeout(waitedMs: number, reason: QueueReason, last: string, attempts: unknown[]): GatewayError {
  const message = `Waited ${seconds(waitedMs)} in the queue and no model became available: ${REASON_TEXT[reason]}. Last: ${last}`;
  return new GatewayError('ProviderUnavailable', QUEUE_TIMEOUT_ROW.caller.code, message, {
    status: QUEUE_TIMEOUT_ROW.caller.status,
    meta: { queue: { reason, waited_ms: waitedMs }, attempts },
  });
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
