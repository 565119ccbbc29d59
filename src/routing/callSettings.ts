import type { DeadlinesConfig } from '../config/resilience';
import type { Deadlines } from '../providers/deadlines';

/** What a route says about calling its models: the attempt deadlines and the retry-wait budget. */
export interface CallSettings {
  /** The total deadline of one attempt (= `deadlines.totalMs`; kept for the activity's backstop). */
  timeoutMs: number;
  deadlines: Deadlines;
  maxRetryWaitMs: number;
  /** Run each provider try as a local activity (see RouteResilience.providerCall). */
  localCall: boolean;
  /** Re-runs of a try whose worker died (RouteResilience.workerRetries); absent: the default. */
  workerRetries?: number;
  /** A malformed stream chunk fails the try instead of being skipped (RouteResilience.strictStreams). */
  strictStreams?: boolean;
}

export interface RouteCallConfig {
  timeout: string;
  deadlines?: DeadlinesConfig;
  maxRetryWait?: string;
  providerCall?: 'activity' | 'local';
  workerRetries?: number;
  strictStreams?: boolean;
}

const DEFAULT_MAX_RETRY_WAIT_MS = 10_000;

/** Pure. `deadlines.total` wins over `timeout`; an unset phase deadline is the total (nothing shorter). */
export function callSettings(route: RouteCallConfig, parse: (s: string) => number): CallSettings {
  const d = route.deadlines ?? {};
  const totalMs = parse(d.total ?? route.timeout);
  const phase = (s: string | undefined) => Math.min(totalMs, s === undefined ? totalMs : parse(s));
  return {
    timeoutMs: totalMs,
    deadlines: { headersMs: phase(d.headers), firstTokenMs: phase(d.firstToken), idleMs: phase(d.idle), totalMs },
    maxRetryWaitMs: route.maxRetryWait === undefined ? DEFAULT_MAX_RETRY_WAIT_MS : parse(route.maxRetryWait),
    localCall: route.providerCall === 'local',
    ...(route.workerRetries !== undefined ? { workerRetries: route.workerRetries } : {}),
    ...(route.strictStreams ? { strictStreams: true } : {}),
  };
}
