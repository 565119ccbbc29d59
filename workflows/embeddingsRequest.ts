import { CancellationScope, setHandler, workflowInfo } from '@temporalio/workflow';
import type { EmbeddingsCallResult } from '../activities';
import type { PlannedRequest } from '../activities/plan';
import { embeddingsAsChat, withRedactedInputs } from '../src/embeddings/asChat';
import { applicationFailureOf } from '../src/errors';
import type { Candidate } from '../src/routing';
import type { Admission, AttemptRecord, EmbeddingsRequestInput, EmbeddingsResult, RequestStatusView } from '../src/temporal/contract';
import { admitted, finish, gatehouseMeta, ledgerRow, recordFailure } from './aiRequest';
import { callWithFallback, type Answer } from './callWithFallback';
import { statusQuery } from './definitions';
import { decisions } from './proxies';

const OPERATION = 'embeddings' as const;

/**
 * One `POST /v1/embeddings` request, durably, on the chat request's path: the same admission
 * (the inputs screened, redacted or refused as the route says; limits and budget on their token
 * estimate), plan (only `mode: embedding` models), tries and fallback, and ledger row. No review
 * (admission refuses a route that would hold the input), validation, shadow or webhook: there is
 * no answer text to check.
 */
export async function embeddingsRequest(input: EmbeddingsRequestInput): Promise<EmbeddingsResult> {
  const view: RequestStatusView = { step: 'admitting', attempts: [] };
  setHandler(statusQuery, () => view);
  let admission: Admission | undefined;
  let plan: PlannedRequest | undefined;
  try {
    const { credential, task, risk, latency, priority, body, requestId } = input;
    // Admission sees the inputs as user messages: one screening, token estimate and limit check for both operations.
    const asChat = embeddingsAsChat(body);
    const { workflowId, startTime } = workflowInfo();
    const prepared = await decisions.prepareRequest({ requestId, credential, task, risk, latency, priority, body: asChat, requestedModel: body.model, operation: OPERATION, workflowId, startedAtMs: startTime.getTime() });
    const a = (admission = prepared.admission);
    // Embeddings never queue (prepare plans or throws for them): a missing plan would be a bug.
    if (!prepared.plan) throw new Error('embeddings request without a plan');
    const p = (plan = prepared.plan);
    admitted(view, a, p);
    // A redacting route embeds the redacted inputs; the caller's originals never reach the provider.
    const sent = a.redactedMessages ? withRedactedInputs(body, a.redactedMessages) : body;
    const rowOnAnswer = (candidate: Candidate, attempts: AttemptRecord[]) => ({
      row: ledgerRow(input, { admission: a, plan: p, candidate, attempts, status: 'completed', operation: OPERATION }),
      workflowStartMs: workflowInfo().startTime.getTime(),
    });
    const answer = await callWithFallback<EmbeddingsCallResult>(requestId, asChat, p, view.attempts, rowOnAnswer, (activities, tryInput) =>
      activities.callEmbeddings({ ...tryInput, body: sent }),
    );
    Object.assign(view, { step: 'recording', model: answer.candidate.model });
    // Answered and paid for: the request ends completed whatever arrives now (as in aiRequest).
    return await CancellationScope.nonCancellable(async () => {
      const outcome = { admission: a, plan: p, candidate: answer.candidate, usage: answer.embeddings.usage, attempts: view.attempts, status: 'completed' as const, operation: OPERATION };
      const { costUsd } = await finish(input, outcome, answer.recorded);
      view.step = 'completed';
      return toResult(input.requestId, a, p, answer, view.attempts, costUsd);
    });
  } catch (err) {
    await recordFailure(input, view, err, { admission, plan, operation: OPERATION });
    throw applicationFailureOf(err) ?? err;
  }
}

function toResult(requestId: string, a: Admission, plan: PlannedRequest, answer: Answer<EmbeddingsCallResult>, attempts: AttemptRecord[], costUsd: number): EmbeddingsResult {
  const { candidate, embeddings } = answer;
  return {
    object: 'list',
    data: embeddings.vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: candidate.model,
    usage: { prompt_tokens: embeddings.usage.prompt_tokens, total_tokens: embeddings.usage.total_tokens },
    gatehouse: gatehouseMeta({ requestId, admission: a, plan, candidate, upstreamModel: embeddings.model, attempts, costUsd }),
  };
}
