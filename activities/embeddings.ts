import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EmbeddingsRequest } from '../src/config/api';
import { MAX_ANSWER_CHARS, answerChars, checkEmbeddings, type EmbeddingsAnswer } from '../src/embeddings/answer';
import { embeddingInputs } from '../src/embeddings/asChat';
import { feedsBreaker } from '../src/failures';
import { deadlinesFromTimeout } from '../src/providers/deadlines';
import { callFields, timeCall, toAttemptFailure, type ProviderCallInput, type ProviderFailureDetails } from './callProvider';
import type { ActivityDeps } from './deps';
import { refuseIfDisabled } from './killSwitch';
import { deploymentCall } from './deploymentCall';
import { rowForAnswer, writeOutcome, type Recorded } from './ledger';
import { withProviderSpan } from '../src/tracing/providerSpan';

/** One try of an embeddings request: the chat try's fields, with the embeddings body. */
export type EmbeddingsCallInput = Omit<ProviderCallInput, 'body' | 'maxOutputTokens'> & { body: EmbeddingsRequest };

export interface EmbeddingsCallResult {
  embeddings: EmbeddingsAnswer;
  latencyMs: number;
  /** Present when this call wrote the request's ledger row (`recordOnAnswer`). */
  recorded?: Recorded;
}

const HEARTBEAT_EVERY_MS = 1000;

export function createEmbeddingsActivities(deps: ActivityDeps) {
  return tracedEmbeddingsCalls(deps, {
    /**
     * The embeddings twin of callProvider: kill switch, deadlines, breaker, the same error
     * classification; the answer is checked and packed (src/embeddings/answer.ts) before it enters history.
     */
    async callEmbeddings(input: EmbeddingsCallInput): Promise<EmbeddingsCallResult> {
      const ctx = Context.current();
      refuseIfDisabled(deps, input);
      const provider = deps.providers.get(input.provider);
      if (!provider) throw ApplicationFailure.nonRetryable(`provider "${input.provider}" is not configured`, 'ProviderAuthError');
      // An unknown failure type to the conduct table: the next candidate is asked.
      if (!provider.embed) throw ApplicationFailure.nonRetryable(`provider "${input.provider}" has no embeddings API`, 'EmbeddingsUnsupported');
      const started = performance.now();
      const call = deploymentCall(deps, input);
      const beat = ctx.info.isLocal ? undefined : setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      let answer: EmbeddingsAnswer;
      try {
        const deadlines = input.deadlines ?? deadlinesFromTimeout(input.timeoutMs);
        const raw = await provider.embed(input.upstream, input.body, { signal: ctx.cancellationSignal, timeoutMs: deadlines.totalMs });
        answer = checkEmbeddings(raw, embeddingInputs(input.body).length);
        deps.health.recordSuccess?.(call.key, Date.now());
        call.done({ latencyMs: Math.round(performance.now() - started), tokens: answer.usage.total_tokens });
        timeCall(deps, input, started, 'ok');
      } catch (err) {
        timeCall(deps, input, started, ctx.cancellationSignal.aborted ? 'cancelled' : 'error');
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
        const failure = toAttemptFailure(err, input.maxRetryDelayMs);
        if (failure instanceof ApplicationFailure && feedsBreaker(failure.type)) deps.health.recordFailure?.(call.key, Date.now());
        throw failure;
      } finally {
        clearInterval(beat);
        call.done();
      }
      if (answerChars(answer) > MAX_ANSWER_CHARS) throw tooLarge(answerChars(answer));
      const latencyMs = Math.round(performance.now() - started);
      if (!input.recordOnAnswer) return { embeddings: answer, latencyMs };
      const recorded = await writeOutcome(deps, rowForAnswer(input.recordOnAnswer, answer, latencyMs, Date.now()));
      return { embeddings: answer, latencyMs, recorded };
    },
  });
}

/** Each try inside a provider-call span (src/tracing/providerSpan.ts); as is when tracing is off. */
function tracedEmbeddingsCalls(deps: ActivityDeps, acts: { callEmbeddings(input: EmbeddingsCallInput): Promise<EmbeddingsCallResult> }) {
  if (!deps.tracer) return acts;
  return {
    callEmbeddings(input: EmbeddingsCallInput): Promise<EmbeddingsCallResult> {
      const ctx = Context.current();
      const answer = ({ embeddings: e }: EmbeddingsCallResult) => ({ model: e.model, usage: e.usage });
      return withProviderSpan(deps.tracer, { operation: 'embeddings', ...callFields(deps, input) }, () => acts.callEmbeddings(input), answer, () => ctx.cancellationSignal.aborted);
    },
  };
}

/** The caller's batch is too big for one durable request: said plainly (stop, no fallback: any model's would be as big). */
function tooLarge(chars: number): ApplicationFailure {
  const details: ProviderFailureDetails = { status: 413 };
  const message = `the embeddings (${chars} bytes packed) exceed what one request may carry (${MAX_ANSWER_CHARS}); send fewer inputs or fewer dimensions`;
  return ApplicationFailure.create({ type: 'ProviderRejected', message, nonRetryable: true, details: [details] });
}
