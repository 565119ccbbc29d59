import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChatCompletion, ChatCompletionRequest } from '../src/config/api';
import type { RowOnAnswer } from '../src/temporal/contract';
import { feedsBreaker } from '../src/failures';
import { skippedChunksWarning } from '../src/providers/conduct';
import { ESTIMATED_USAGE_WARNING, joinContinuation, withContinuation, type DeliveredPart } from '../src/streaming/continuation';
import { deadlinesFromTimeout, type Deadlines } from '../src/providers/deadlines';
import { UpstreamError, classifyUpstreamError } from '../src/providers/upstreamError';
import type { ChatProvider, OutputCapField } from '../src/providers/types';
import type { ProviderOutcome } from '../src/metrics/gatewayMetrics';
import type { ActivityDeps } from './deps';
import { refuseIfDisabled } from './killSwitch';
import { rowForAnswer, writeOutcome, type Recorded } from './ledger';
import { StreamedAttempt } from './streamedAttempt';
import { deploymentCall } from './deploymentCall';
import { withProviderSpan } from '../src/tracing/providerSpan';

export interface ProviderCallInput {
  requestId: string;
  provider: string;
  model: string;
  /** The model's deployment this try calls (its breaker and load key is `model@deployment`). */
  deployment?: string;
  upstream: string;
  body: ChatCompletionRequest;
  /** The budget's cap on the answer (planned per model): the provider request asks for no more. */
  maxOutputTokens?: number;
  timeoutMs: number;
  /** A Retry-After longer than this fails over instead of waiting. */
  maxRetryDelayMs: number;
  /** The route's deadlines; absent: `timeoutMs` is the total and nothing shorter applies. */
  deadlines?: Deadlines;
  /** The workflow's try counter (1, 2, …): keys this try in the streaming side channel. */
  attempt?: number;
  /** The request's route, for the kill switch (activities/killSwitch.ts). */
  route?: string;
  /** Set when an answer ends the request: the call writes the ledger row itself. */
  recordOnAnswer?: RowOnAnswer;
  /** The route's `strictStreams`: a malformed stream chunk fails the try instead of being skipped. */
  strictStreams?: boolean;
  /**
   * A stream broke after the caller saw this text: this try continues it (an assistant prefill) and
   * streams only the continuation; its answer is returned joined to the text (src/streaming/continuation.ts).
   */
  continues?: DeliveredPart;
}

export interface ProviderCallResult {
  completion: ChatCompletion;
  latencyMs: number;
  /** Present when this call wrote the request's ledger row (`recordOnAnswer`). */
  recorded?: Recorded;
  /** Request fields this provider could not honour (sent without them): for gatehouse.warnings and the ledger. */
  warnings?: string[];
  /** Malformed stream chunks skipped in this answer (absent: none). */
  skippedChunks?: number;
}

/** Details attached to a failed attempt, for the workflow's attempt record and the caller's error. */
export interface ProviderFailureDetails {
  status?: number;
  providerCode?: string;
  /** The provider's Retry-After, in ms. */
  retryAfterMs?: number;
  /** A stream that broke after delivery: what the caller has (for a continuation). */
  delivered?: DeliveredPart;
}

const HEARTBEAT_EVERY_MS = 1000;

export function createProviderActivities(deps: ActivityDeps) {
  return tracedChatCalls(deps, {
    async callProvider(given: ProviderCallInput): Promise<ProviderCallResult> {
      const ctx = Context.current();
      refuseIfDisabled(deps, given); // the kill switch reaches requests already in flight
      const provider = deps.providers.get(given.provider);
      if (!provider) throw ApplicationFailure.nonRetryable(`provider "${given.provider}" is not configured`, 'ProviderAuthError');
      const asked = given.continues ? withContinuation(given.body, given.continues.text) : given.body;
      const input = { ...given, body: withOutputCap(asked, given.maxOutputTokens, provider.outputCapField) };
      const started = performance.now();
      const call = deploymentCall(deps, input);
      // Heartbeats only for slow calls: a fast call costs no extra RPC, a dead worker is noticed.
      // A local activity has no heartbeat: its workflow task's timeout notices a dead worker.
      const beat = ctx.info.isLocal ? undefined : setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      // A streaming caller gets chunks as they come; the workflow still gets the whole answer.
      const streamed = input.body.stream === true && provider.stream ? new StreamedAttempt(ctx, input, deps.streams, deps.relay) : undefined;
      let completion: ChatCompletion;
      try {
        const deadlines = input.deadlines ?? deadlinesFromTimeout(input.timeoutMs);
        completion = streamed
          ? await streamed.run(provider, deadlines)
          : await provider.complete(input.upstream, input.body, { signal: ctx.cancellationSignal, timeoutMs: deadlines.totalMs });
        deps.health.recordSuccess?.(call.key, Date.now());
        // Lowest-latency compares what the caller waits for: the first chunk when streamed.
        call.done({ latencyMs: Math.round((streamed?.firstChunkAt ?? performance.now()) - started), tokens: completion.usage?.total_tokens ?? 0 });
        timeCall(deps, input, started, 'ok', streamed?.firstChunkAt);
      } catch (err) {
        timeCall(deps, input, started, ctx.cancellationSignal.aborted || streamed?.callerGone ? 'cancelled' : 'error', streamed?.firstChunkAt);
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
        if (streamed?.callerGone) throw await streamed.awaitCancellation();
        const delivered = streamed && (await streamed.delivered()) ? streamed.deliveredPart() : undefined;
        const failure = toAttemptFailure(err, input.maxRetryDelayMs, delivered);
        if (failure instanceof ApplicationFailure && feedsBreaker(failure.type)) deps.health.recordFailure?.(call.key, Date.now());
        if (failure instanceof ApplicationFailure && failure.type === 'UnsupportedRequestShape') deps.health.recordPrefillRefused?.(input.model);
        throw failure;
      } finally {
        clearInterval(beat);
        call.done();
      }
      const latencyMs = Math.round(performance.now() - started);
      if (given.continues) completion = joinContinuation(completion, given.continues);
      const skippedChunks = streamed?.skipped ?? 0;
      const warnings = [
        ...unsupportedFields(provider, given.provider, input.body),
        ...(skippedChunks ? [skippedChunksWarning(given.provider, skippedChunks)] : []),
        ...(given.continues?.usageEstimated ? [ESTIMATED_USAGE_WARNING] : []),
      ];
      const answered = { completion, latencyMs, ...(warnings.length ? { warnings } : {}), ...(skippedChunks ? { skippedChunks } : {}) };
      if (!input.recordOnAnswer) return answered;
      // Outside the try: a ledger failure is not the model's (no breaker count); the try is run again.
      const row = { ...rowForAnswer(input.recordOnAnswer, completion, { latencyMs, skippedChunks }, Date.now()), ...(warnings.length ? { warnings } : {}) };
      return { ...answered, recorded: await writeOutcome(deps, row) };
    },
  });
}

/** Each try inside a provider-call span (src/tracing/providerSpan.ts); as is when tracing is off. */
function tracedChatCalls(deps: ActivityDeps, acts: { callProvider(given: ProviderCallInput): Promise<ProviderCallResult> }) {
  if (!deps.tracer) return acts;
  const answer = ({ completion: c }: ProviderCallResult) => ({ model: c.model, usage: c.usage, finishReasons: c.choices.flatMap((ch) => (ch.finish_reason ? [ch.finish_reason] : [])) });
  return {
    callProvider(given: ProviderCallInput): Promise<ProviderCallResult> {
      const ctx = Context.current();
      const fields = { operation: 'chat' as const, ...callFields(deps, given), stream: given.body.stream === true };
      return withProviderSpan(deps.tracer, fields, () => acts.callProvider(given), answer, () => ctx.cancellationSignal.aborted);
    },
  };
}

/** A provider-call span's names and ids, for chat and embeddings tries. */
export function callFields(deps: ActivityDeps, input: Omit<ProviderCallInput, 'body'>) {
  const { provider, model, upstream, route, requestId, attempt } = input;
  return { provider, kind: deps.config().providers[provider]?.kind, model, upstream, route, requestId, attempt };
}

/** The provider latency and time-to-first-token histograms (metrics never fail a call). */
export function timeCall(deps: ActivityDeps, input: { provider: string; model: string }, started: number, outcome: ProviderOutcome, firstChunkAt?: number): void {
  try {
    deps.metrics?.providerCall(input.provider, input.model, outcome, (performance.now() - started) / 1000);
    if (firstChunkAt !== undefined) deps.metrics?.firstToken(input.provider, input.model, (firstChunkAt - started) / 1000);
  } catch (err) {
    deps.logger.warn({ err }, 'could not time a provider call in the metrics');
  }
}

/** What the adapter says it could not honour in this request, each prefixed with the provider's name. */
function unsupportedFields(provider: ChatProvider, name: string, body: ChatCompletionRequest): string[] {
  return (provider.unsupported?.(body) ?? []).map((w) => `provider ${name}: ${w}`);
}

/**
 * The body with its answer capped at `cap` tokens. The caller's own fields are lowered (a lower limit
 * stands); with neither set, the adapter's own field carries the cap (ChatProvider.outputCapField).
 */
export function withOutputCap(body: ChatCompletionRequest, cap: number | undefined, field: OutputCapField = 'max_tokens'): ChatCompletionRequest {
  if (cap === undefined) return body;
  const { max_tokens: tokens, max_completion_tokens: completion } = body;
  if (tokens === undefined && completion === undefined) return { ...body, [field]: cap };
  return {
    ...body,
    ...(tokens !== undefined ? { max_tokens: Math.min(tokens, cap) } : {}),
    ...(completion !== undefined ? { max_completion_tokens: Math.min(completion, cap) } : {}),
  };
}

/** The activity boundary: classify the upstream error once into Temporal's retryable split. */
export function toAttemptFailure(err: unknown, maxRetryDelayMs: number, delivered?: DeliveredPart): unknown {
  if (!(err instanceof UpstreamError)) return err; // cancellation and our own bugs pass through
  const c = classifyUpstreamError(err, maxRetryDelayMs, delivered !== undefined);
  const details: ProviderFailureDetails = { status: err.status, providerCode: err.providerCode, retryAfterMs: err.retryAfterMs, ...(delivered ? { delivered } : {}) };
  return ApplicationFailure.create({
    type: c.type,
    message: err.message,
    nonRetryable: !c.retryable,
    nextRetryDelay: c.nextRetryDelayMs,
    details: [details],
  });
}
