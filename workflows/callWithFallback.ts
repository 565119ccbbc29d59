import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities, ProviderCallResult, ProviderFailureDetails } from '../activities';
import type { ChatCompletionRequest } from '../src/config/api';
import { GatewayError, toFailure } from '../src/errors';
import { FALLBACK_ON } from '../src/providers/upstreamError';
import type { Candidate, RoutePlan } from '../src/routing';
import type { AttemptRecord } from '../src/temporal/contract';

/** Longest Retry-After the gateway waits out on one model before moving to the next. */
const MAX_RETRY_DELAY_MS = 10_000;
/** The activity enforces the route deadline itself; Temporal's timeout is the backstop for a dead worker. */
const DEADLINE_SLACK_MS = 2_000;

export interface Answer extends ProviderCallResult {
  candidate: Candidate;
}

/**
 * Calls the plan's candidates in order. Temporal retries the same model (retryable failures);
 * when that is spent, or the failure is a timeout or over-limit, the next approved candidate runs.
 * A caller mistake (plain 4xx) ends the request at once with the provider's reason.
 */
export async function callWithFallback(
  requestId: string,
  body: ChatCompletionRequest,
  plan: RoutePlan,
  attempts: AttemptRecord[],
): Promise<Answer> {
  const { callProvider } = proxyActivities<Pick<Activities, 'callProvider'>>({
    startToCloseTimeout: plan.timeoutMs + DEADLINE_SLACK_MS,
    heartbeatTimeout: '5s',
    retry: { maximumAttempts: plan.retries + 1, initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
  });
  for (const candidate of plan.candidates) {
    try {
      const result = await callProvider({
        requestId,
        provider: candidate.provider,
        model: candidate.model,
        upstream: candidate.upstream,
        body,
        timeoutMs: plan.timeoutMs,
        maxRetryDelayMs: MAX_RETRY_DELAY_MS,
      });
      attempts.push({ model: candidate.model, outcome: 'ok' });
      return { ...result, candidate };
    } catch (err) {
      if (isCancellation(err)) throw err; // the caller cancelled: no fallback, no retry
      const failed = describeFailure(candidate.model, err);
      attempts.push(failed);
      if (!FALLBACK_ON.has(failed.error ?? '')) throw toFailure(callerFacingError(failed, attempts));
    }
  }
  throw toFailure(exhaustedError(attempts));
}

function describeFailure(model: string, err: unknown): AttemptRecord {
  if (!(err instanceof ActivityFailure)) throw err; // not a provider outcome: let the workflow task fail loudly
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const d = (cause.details?.[0] ?? {}) as ProviderFailureDetails;
    return { model, outcome: 'failed', error: cause.type ?? 'ProviderError', message: cause.message, status: d.status };
  }
  if (cause instanceof TimeoutFailure) {
    return { model, outcome: 'failed', error: 'ProviderTimeout', message: `activity ${cause.timeoutType} timeout` };
  }
  return { model, outcome: 'failed', error: 'ProviderError', message: cause?.message ?? err.message };
}

/** A failure the caller must fix (or a refusal): the provider's own status and reason. */
function callerFacingError(a: AttemptRecord, attempts: AttemptRecord[]): GatewayError {
  const code =
    a.error === 'ContentPolicyRejected' ? 'content_policy_violation' : a.error === 'ContextLengthExceeded' ? 'context_length_exceeded' : 'provider_rejected_request';
  const status = a.status && a.status >= 400 && a.status < 500 ? a.status : 400;
  return new GatewayError('ProviderRejected', code, `${a.model}: ${a.message ?? 'rejected by provider'}`, {
    status,
    meta: { attempts },
  });
}

/** Nowhere left to go: report the first (original) provider error, and every attempt. */
function exhaustedError(attempts: AttemptRecord[]): GatewayError {
  const first = attempts[0];
  const original = first ? `${first.model}: ${first.message ?? first.error}${first.status ? ` (HTTP ${first.status})` : ''}` : 'no candidate';
  const allTimeouts = attempts.every((a) => a.error === 'ProviderTimeout');
  const onlyContext = attempts.every((a) => a.error === 'ContextLengthExceeded');
  if (onlyContext) return new GatewayError('ProviderRejected', 'context_length_exceeded', original, { status: 400, meta: { attempts } });
  return new GatewayError('ProviderUnavailable', allTimeouts ? 'provider_timeout' : 'provider_error', `All models failed. First error: ${original}`, {
    status: allTimeouts ? 504 : 502,
    meta: { attempts },
  });
}
