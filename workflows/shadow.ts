import { ParentClosePolicy, isCancellation, log, proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ComparisonSummary, ShadowComparisonInput } from '../activities/compare';
import type { PlannedRequest } from '../activities/plan';
import type { ChatCompletionRequest } from '../src/config/api';
import type { Deadlines } from '../src/providers/deadlines';
import { isKillSwitchFailure } from '../src/routes/failures';
import type { ShadowPlan } from '../src/routing';
import { DEADLINE_SLACK_MS, describeFailure } from './tryCandidate';
import { childWorkflowId } from '../src/temporal/childIds';
import { childIdOf } from './childIds';

/** Waits for the primary's result (up to 10 min, heartbeating), then validates, scores and writes the pair. */
const comparing = proxyActivities<Pick<Activities, 'compareShadow'>>({
  startToCloseTimeout: '11m',
  heartbeatTimeout: '30s',
  retry: { maximumAttempts: 3, initialInterval: '1s' },
});

export interface ShadowInput {
  /** The shadowed request (the child's id is `<requestId>/shadow`). */
  requestId: string;
  route: string;
  routeTableVersion: number | null;
  shadow: ShadowPlan;
  /** What the primary was sent (redacted when the route redacts). */
  body: ChatCompletionRequest;
  responseFormat: unknown;
  timeoutMs: number;
  deadlines: Deadlines;
  maxRetryWaitMs: number;
}

/**
 * Starts the request's shadow, when the plan sampled one, as a child workflow the request abandons
 * on completion: the candidate runs beside the primary, and the request never waits for it. The
 * start goes out with the primary's first call, so by the time the caller's answer is ready the
 * returned promise has long resolved. Never rejects: a shadow must not change the caller's outcome.
 */
export function startShadow(requestId: string, body: ChatCompletionRequest, plan: PlannedRequest, responseFormat: unknown): Promise<void> | undefined {
  if (!plan.shadow) return undefined;
  const input: ShadowInput = {
    requestId,
    route: plan.route,
    routeTableVersion: plan.routeTableVersion ?? null,
    shadow: plan.shadow,
    body,
    responseFormat,
    timeoutMs: plan.timeoutMs,
    deadlines: plan.deadlines,
    maxRetryWaitMs: plan.maxRetryWaitMs,
  };
  return startChild(shadowRequest, { workflowId: childIdOf(requestId, 'shadow'), args: [input], parentClosePolicy: ParentClosePolicy.ABANDON }).then(
    () => undefined,
    (err) => log.warn('shadow comparison not started', { requestId, error: String(err) }),
  );
}

/** Child workflow: one try of the shadow model, then the comparison with the primary (validation included). */
export async function shadowRequest(s: ShadowInput): Promise<ComparisonSummary | null> {
  const c = s.shadow.candidate;
  const { callProvider } = proxyActivities<Pick<Activities, 'callProvider'>>({
    startToCloseTimeout: s.timeoutMs + DEADLINE_SLACK_MS,
    heartbeatTimeout: '5s',
    retry: { maximumAttempts: 1 },
  });
  const candidate: ShadowComparisonInput['candidate'] = {
    model: c.model,
    ok: false,
    error: null,
    latencyMs: null,
    usage: null,
    pricedAs: { providerKind: c.providerKind ?? c.provider, upstream: c.upstream },
    content: null,
  };
  try {
    const r = await callProvider({
      requestId: childWorkflowId(s.requestId, 'shadow'),
      provider: c.provider,
      model: c.model,
      upstream: c.upstream,
      body: withoutStreaming(s.body),
      timeoutMs: s.timeoutMs,
      deadlines: s.deadlines,
      maxRetryDelayMs: s.maxRetryWaitMs,
      route: s.route,
    });
    Object.assign(candidate, { ok: true, latencyMs: r.latencyMs, usage: r.completion.usage ?? null, content: r.completion.choices[0]?.message.content ?? '' });
  } catch (err) {
    if (isCancellation(err)) throw err;
    candidate.error = failureType(c.model, err);
    // The kill switch stopped it: that says nothing about the model, so no comparison is recorded.
    if (isKillSwitchFailure(candidate.error)) return null;
  }
  const { requestId, route, routeTableVersion, responseFormat } = s;
  return comparing.compareShadow({ requestId, route, routeTableVersion, compare: s.shadow.compare, responseFormat, candidate });
}

/** The shadow's answer is never streamed to anyone: ask for the whole answer. */
function withoutStreaming(body: ChatCompletionRequest): ChatCompletionRequest {
  const rest = { ...body };
  delete rest.stream;
  delete (rest as Record<string, unknown>).stream_options;
  return rest;
}

/** As a primary try would record it (a dead worker is WorkerLost, not the model's timeout). */
function failureType(model: string, err: unknown): string {
  try {
    return describeFailure(model, err).record.error ?? 'ProviderError';
  } catch {
    return err instanceof Error ? err.name : 'ProviderError'; // not a provider outcome; still compared as a failure
  }
}
