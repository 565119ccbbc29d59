import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChatCompletion, ChatCompletionRequest } from '../src/config/api';
import { UpstreamError, classifyUpstreamError } from '../src/providers/upstreamError';
import type { ActivityDeps } from './deps';

export interface ProviderCallInput {
  requestId: string;
  provider: string;
  model: string;
  upstream: string;
  body: ChatCompletionRequest;
  timeoutMs: number;
  /** A Retry-After longer than this fails over instead of waiting. */
  maxRetryDelayMs: number;
}

export interface ProviderCallResult {
  completion: ChatCompletion;
  latencyMs: number;
}

/** Details attached to a failed attempt, for the workflow's attempt record and the caller's error. */
export interface ProviderFailureDetails {
  status?: number;
  providerCode?: string;
}

const HEARTBEAT_EVERY_MS = 1000;
/** Failures that say the model is unwell (not that the request was bad): they feed its circuit breaker. */
const BREAKER_COUNTS = new Set(['ProviderServerError', 'ProviderConnectionError', 'ProviderMalformedResponse', 'ProviderTimeout', 'ProviderRateLimited']);

export function createProviderActivities(deps: ActivityDeps) {
  return {
    async callProvider(input: ProviderCallInput): Promise<ProviderCallResult> {
      const ctx = Context.current();
      const provider = deps.providers.get(input.provider);
      if (!provider) throw ApplicationFailure.nonRetryable(`provider "${input.provider}" is not configured`, 'ProviderAuthError');
      const started = performance.now();
      // Heartbeats only for slow calls: a fast call costs no extra RPC, a dead worker is noticed.
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const completion = await provider.complete(input.upstream, input.body, {
          signal: ctx.cancellationSignal,
          timeoutMs: input.timeoutMs,
        });
        deps.health.recordSuccess?.(input.model, Date.now());
        return { completion, latencyMs: Math.round(performance.now() - started) };
      } catch (err) {
        const failure = toAttemptFailure(err, input.maxRetryDelayMs);
        if (failure instanceof ApplicationFailure && BREAKER_COUNTS.has(failure.type ?? '')) deps.health.recordFailure?.(input.model, Date.now());
        throw failure;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/** The activity boundary: classify the upstream error once into Temporal's retryable split. */
export function toAttemptFailure(err: unknown, maxRetryDelayMs: number): unknown {
  if (!(err instanceof UpstreamError)) return err; // cancellation and our own bugs pass through
  const c = classifyUpstreamError(err, maxRetryDelayMs);
  const details: ProviderFailureDetails = { status: err.status, providerCode: err.providerCode };
  return ApplicationFailure.create({
    type: c.type,
    message: err.message,
    nonRetryable: !c.retryable,
    nextRetryDelay: c.nextRetryDelayMs,
    details: [details],
  });
}
