import { ActivityFailure, ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CallerIdentity } from '../src/policy';
import type { RoutePlan } from '../src/routing';
import type { AiRequestInput, AttemptRecord, GatewayResponse, LedgerRow } from '../src/temporal/contract';
import { GatehouseSearch, type RequestStatus } from '../src/temporal/searchAttributes';
import { decisions, ledger } from './proxies';
import { callWithFallback, type Answer } from './callWithFallback';

/**
 * One AI request, durably: policy → plan → provider call with retries and fallback → ledger.
 * The history of this workflow is the request's audit trail.
 */
export async function aiRequest(input: AiRequestInput): Promise<GatewayResponse> {
  const attempts: AttemptRecord[] = [];
  let identity: CallerIdentity | undefined;
  let plan: RoutePlan | undefined;
  try {
    identity = await decisions.checkPolicy({ caller: input.caller, task: input.task });
    plan = await decisions.planRequest({ task: input.task, requestedModel: input.body.model });
    upsertSearchAttributes([{ key: GatehouseSearch.route, value: plan.route }]);
    const answer = await callWithFallback(input.requestId, input.body, plan, attempts);
    const response = toResponse(input, plan, answer, attempts);
    await finish(input, { identity, plan, answer, attempts, status: 'completed' });
    return response;
  } catch (err) {
    const failure = unwrap(err);
    const status: RequestStatus = failure.type === 'PolicyDenied' ? 'denied' : 'failed';
    await finish(input, { identity, plan, attempts, status, errorCode: errorCode(failure) });
    throw failure;
  }
}

interface Outcome {
  identity?: CallerIdentity;
  plan?: RoutePlan;
  answer?: Answer;
  attempts: AttemptRecord[];
  status: Exclude<RequestStatus, 'running'>;
  errorCode?: string;
}

async function finish(input: AiRequestInput, o: Outcome): Promise<void> {
  upsertSearchAttributes([
    { key: GatehouseSearch.status, value: o.status },
    ...(o.answer ? [{ key: GatehouseSearch.model, value: o.answer.candidate.model }] : []),
  ]);
  const row: LedgerRow = {
    requestId: input.requestId,
    caller: input.caller,
    team: o.identity?.team ?? null,
    task: input.task,
    route: o.plan?.route ?? null,
    model: o.answer?.candidate.model ?? null,
    status: o.status,
    errorCode: o.errorCode ?? null,
    usage: o.answer?.completion.usage ?? null,
    latencyMs: elapsedMs(),
    attempts: o.attempts,
    explanation: o.plan?.explanation ?? null,
  };
  await ledger.recordOutcome(row);
}

function toResponse(input: AiRequestInput, plan: RoutePlan, answer: Answer, attempts: AttemptRecord[]): GatewayResponse {
  const { candidate, completion } = answer;
  return {
    ...completion,
    model: candidate.model,
    gatehouse: {
      request_id: input.requestId,
      route: plan.route,
      model: candidate.model,
      upstream_model: completion.model,
      provider: candidate.provider,
      fallbacks: attempts.filter((a) => a.outcome === 'failed').map((a) => a.model),
      attempts,
      explanation: plan.explanation,
      latency_ms: elapsedMs(),
    },
  };
}

/** Workflow time: deterministic (the task's start time), good enough for a ledger figure. */
function elapsedMs(): number {
  return Math.max(0, Date.now() - workflowInfo().startTime.getTime());
}

/** Decisions from local activities arrive wrapped; the workflow fails with the decision itself. */
function unwrap(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  throw err; // a bug, not an outcome: fail the workflow task so it is retried after a fix
}

function errorCode(f: ApplicationFailure): string {
  const d = f.details?.[0] as { code?: string } | undefined;
  return d?.code ?? f.type ?? 'error';
}
