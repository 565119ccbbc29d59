import {
  CancelledFailure,
  CancellationScope,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Recorded } from '../activities/ledger';
import type { PlannedRequest } from '../activities/plan';
import type { Candidate } from '../src/routing';
import { applicationFailureOf, type RefusedAs } from '../src/errors';
import type { Admission, AiRequestInput, AttemptRecord, GatehouseMeta, GatewayResponse, LedgerRow, RequestStatusView } from '../src/temporal/contract';
import { GatehouseSearch, type RequestStatus } from '../src/temporal/searchAttributes';
import type { Answer } from './callWithFallback';
import { checkedAnswer } from './checkedAnswer';
import { statusQuery } from './definitions';
import { ReviewDesk } from './review';
import { answerOrWait } from './queue';
import { answerFromCache, answerToKeep } from './cached';
import { firstTryAnswer } from './tryCandidate';
import { startShadow } from './shadow';
import { failureView, notifyWebhook } from './webhook';
import { completedView } from '../src/requests/view';
import { rowOf, type Outcome } from '../src/requests/ledgerRow';
import { plannedAwayAttempt } from '../src/routing/degraded';
import { cacheStore, decisions, decisionsWithFirstTry, ledger } from './proxies';

/**
 * One AI request, durably: admission (authenticate, authorize) → plan → provider call with retries
 * and fallback → ledger. The history of this workflow is the request's audit trail.
 */
export async function aiRequest(input: AiRequestInput): Promise<GatewayResponse> {
  const view: RequestStatusView = { step: 'admitting', attempts: [] };
  setHandler(statusQuery, () => view);
  const desk = new ReviewDesk(view);
  let admission: Admission | undefined;
  let plan: PlannedRequest | undefined;
  let shadow: Promise<void> | undefined;
  let webhook = false;
  try {
    const { credential, task, risk, latency, priority, body, requestId, degraded } = input;
    // Admission and plan in one local activity (one marker): see activities/prepare.ts. The sealed
    // credential's issue time is checked against the workflow's start (same on replay and retry).
    const { workflowId, startTime } = workflowInfo();
    // A caller waiting for the answer may have its first provider call made in the same step (src/routing/firstTry.ts).
    const prepare = input.waited ? decisionsWithFirstTry : decisions;
    const prepared = await prepare.prepareRequest({ requestId, credential, task, risk, latency, priority, body, degraded, requestedModel: body.model, queue: input.queue, cacheControl: input.cacheControl, workflowId, startedAtMs: startTime.getTime(), ...(input.waited ? { firstTry: true } : {}) });
    const a = (admission = prepared.admission);
    webhook = prepared.webhook;
    const firstTry = prepared.firstTry;
    if (firstTry && 'cancelled' in firstTry) {
      // Cancelled during that call: recorded (and its webhook told) with who and which route, as a cancelled call always is.
      admitted(view, a, (plan = prepared.plan!));
      throw new CancelledFailure('Request cancelled during its first provider call');
    }
    // With a plan, onPlan below says so (one search-attribute upsert, as before the queue existed).
    if (!prepared.plan) admitted(view, a, { route: a.route });
    // A redacting route sends the redacted messages; the caller's originals never reach the provider.
    const sent = a.redactedMessages ? { ...body, messages: a.redactedMessages } : body;
    // A cache hit answers without a provider call, still admitted, planned and recorded (workflows/cached.ts);
    // so does the first try admission's step made, when it answered (nothing is checked or held after it).
    const cached = prepared.plan && answerFromCache(prepared, prepared.plan);
    const first = prepared.plan && firstTryAnswer(prepared.plan, firstTry);
    // Answered in admission's step: the search attributes are one upsert as the request ends (one history event fewer).
    const searchOnce = first !== undefined && prepared.searchOnce === true;
    const ready = cached || first;
    if (ready) {
      admitted(view, a, (plan = prepared.plan!), !searchOnce);
      view.attempts.push(ready.attempt);
    }
    // With no candidate available, a route with a queue waits and plans again (workflows/queue.ts).
    const answered = ready ? { answer: ready.answer, plan: plan!, review: undefined } : await answerOrWait({
      view,
      settings: prepared.queue,
      first: prepared,
      replan: () => decisions.replanRequest({ requestId, admission: a, requestedModel: body.model }),
      onPlan: (p) => {
        // Search attributes once (each upsert is a history event); a queued request's later plans are on the same route.
        if (!plan) {
          admitted(view, a, p);
          // Planning left the normal plan for the degraded one: the attempts say why.
          if (p.degraded?.left) view.attempts.push(plannedAwayAttempt(p.degraded.left));
        } else view.step = 'calling';
        plan = p;
        // A sampled shadow model runs beside the primary in its own workflow (workflows/shadow.ts).
        shadow ??= startShadow(requestId, sent, p, body.response_format);
      },
      // Validation after each answer, and a human review when the route holds it (workflows/checkedAnswer.ts).
      call: (p) =>
        checkedAnswer({
          requestId, body: sent, responseFormat: body.response_format, admission: a, plan: p, view, desk, knownCheck: prepared.answerCheck,
          // A first try made with admission that failed is raised by the first plan's first call (an answered one is `first` above).
          firstTry: p === prepared.plan && firstTry && 'failure' in firstTry ? firstTry : undefined,
          // Written by the answering call when nothing is checked after it (one workflow step fewer).
          rowOnAnswer: (candidate, attempts) => ({
            row: ledgerRow(input, { admission: a, plan: p, candidate, attempts, status: 'completed' }),
            workflowStartMs: workflowInfo().startTime.getTime(),
          }),
        }),
    });
    const { answer, review } = answered;
    plan = answered.plan;
    Object.assign(view, { step: 'recording', model: answer.candidate.model });
    const hit = cached ? prepared.cache!.hit! : undefined;
    const outcome: Outcome = { admission, plan, candidate: answer.candidate, usage: answer.completion.usage, attempts: view.attempts, status: 'completed', review: view.review, warnings: answer.warnings, degraded: answer.degraded, ...(hit ? { cacheHit: { savedCostUsd: hit.savedCostUsd } } : {}) };
    const ended = { admission, plan };
    const kept = cached ? undefined : answerToKeep(prepared, answer, review !== undefined);
    const respond = (costUsd: number): GatewayResponse => {
      view.step = 'completed';
      const response = toResponse(input, ended.admission, ended.plan, answer, view.attempts, costUsd);
      if (review) response.gatehouse.review = review;
      if (hit) response.gatehouse.cache = { hit: true, saved_cost_usd: hit.savedCostUsd, age_ms: hit.ageMs };
      return response;
    };
    // The usual case, nothing left to wait for: synchronous code cannot be interrupted, so no scope
    // (a scope and its awaits are ~7 workflow promises, each a stack capture by the SDK: docs/performance.md).
    if (!kept && answer.recorded && !webhook && !shadow) {
      markEnded(outcome, searchOnce);
      return respond(answer.recorded.costUsd);
    }
    // The provider answered and is paid for: the request ends completed, whatever arrives now (a
    // cancellation, a webhook child that cannot start): ledger, status and answer agree. Nothing
    // below rejects (notifyWebhook and the shadow's start never do).
    return await CancellationScope.nonCancellable(async () => {
      if (kept) await cacheStore.storeAnswer(kept);
      markEnded(outcome, searchOnce);
      const response = respond((answer.recorded ?? (await ledger.recordOutcome(ledgerRow(input, outcome)))).costUsd);
      if (webhook) await notifyWebhook(requestId, ended.admission.caller, completedView(requestId, response));
      if (shadow) await shadow; // started with the primary's call, so long done: the caller does not wait for it
      return response;
    });
  } catch (err) {
    await recordFailure(input, view, err, { admission, plan, review: view.review });
    await CancellationScope.nonCancellable(async () => {
      if (webhook) await notifyWebhook(input.requestId, admission?.caller, failureView(input.requestId, err));
      if (shadow) await shadow;
    });
    throw applicationFailureOf(err) ?? err;
  }
}

/**
 * A request that ended without an answer (refused, failed, cancelled): its status, search attributes
 * and ledger row, recorded outside any cancelled scope (a cancelled request still gets its row).
 */
export async function recordFailure(input: Pick<AiRequestInput, 'requestId'>, view: RequestStatusView, err: unknown, known: Pick<Outcome, 'admission' | 'plan' | 'review' | 'operation'>): Promise<void> {
  const status = outcomeOf(err);
  view.step = status === 'cancelled' ? 'cancelled' : 'failed';
  await CancellationScope.nonCancellable(async () => {
    const who = known.admission ? undefined : refusedAs(err);
    if (who) attribute(who);
    await finish(input, { ...known, who, attempts: view.attempts, status, errorCode: errorCode(err) });
  });
}

/**
 * Admission and plan decided: the status view and the search attributes say who, which task and
 * route (`upsert: false`: the request ends in this step, and `markEnded` writes them with its end).
 */
export function admitted(view: RequestStatusView, admission: Admission, plan: Pick<PlannedRequest, 'route'>, upsert = true): void {
  Object.assign(view, { step: 'calling', caller: admission.caller, task: admission.task, route: plan.route });
  if (upsert) upsertSearchAttributes(whoAndWhere(admission, plan));
}

function whoAndWhere(admission: Admission, plan: Pick<PlannedRequest, 'route'>) {
  return [
    { key: GatehouseSearch.caller, value: admission.caller },
    { key: GatehouseSearch.team, value: admission.team },
    { key: GatehouseSearch.task, value: admission.task },
    { key: GatehouseSearch.route, value: plan.route },
  ];
}

/** The request's end in its search attributes, and its ledger row unless the answering call wrote it. */
export async function finish(input: Pick<AiRequestInput, 'requestId'>, o: Outcome, recorded?: Recorded): Promise<Recorded> {
  markEnded(o);
  return recorded ?? ledger.recordOutcome(ledgerRow(input, o));
}

/** The request's end in its search attributes. */
export function markEnded(o: Outcome, withAdmission = false): void {
  // One upsert as before (replay-safe for requests in flight): the code joins it when there is one.
  upsertSearchAttributes([
    ...(withAdmission && o.admission && o.plan ? whoAndWhere(o.admission, o.plan) : []),
    { key: GatehouseSearch.status, value: o.status },
    ...(o.candidate ? [{ key: GatehouseSearch.model, value: o.candidate.model }] : []),
    ...(o.errorCode ? [{ key: GatehouseSearch.code, value: o.errorCode }] : []),
  ]);
}

export type { Outcome };

export function ledgerRow(input: Pick<AiRequestInput, 'requestId'>, o: Outcome): LedgerRow {
  return rowOf(input.requestId, o, elapsedMs());
}

function toResponse(input: AiRequestInput, a: Admission, plan: PlannedRequest, answer: Answer, attempts: AttemptRecord[], costUsd: number): GatewayResponse {
  const { candidate, completion } = answer;
  const meta = gatehouseMeta({ requestId: input.requestId, admission: a, plan, candidate, upstreamModel: completion.model, attempts, costUsd, warnings: answer.warnings });
  return { ...completion, model: candidate.model, gatehouse: { ...meta, ...(answer.degraded ? { degraded: answer.degraded } : {}) } };
}

/** The `gatehouse` block of an answer (chat or embeddings): who answered, how, at what cost. */
export function gatehouseMeta(m: {
  requestId: string;
  admission: Admission;
  plan: PlannedRequest;
  candidate: Candidate;
  upstreamModel: string;
  attempts: AttemptRecord[];
  costUsd: number;
  /** What the provider could not honour (ProviderCallResult.warnings). */
  warnings?: string[];
}): GatehouseMeta {
  // The catalogue's deprecation notice first, then what the provider left out.
  const warnings = [...(m.candidate.deprecated ? [m.candidate.deprecated] : []), ...(m.warnings ?? [])];
  return {
    request_id: m.requestId,
    route: m.plan.route,
    model: m.candidate.model,
    upstream_model: m.upstreamModel,
    provider: m.candidate.provider,
    ...(m.candidate.deployment ? { deployment: m.candidate.deployment } : {}),
    fallbacks: fallbacksOf(m.attempts, m.candidate.model),
    attempts: m.attempts,
    explanation: m.plan.explanation,
    latency_ms: elapsedMs(),
    cost_usd: m.costUsd,
    risk: m.admission.risk,
    data_class: m.admission.dataClass,
    rate_limit: m.admission.rateLimitHeaders,
    route_table_version: m.plan.routeTableVersion,
    ...(warnings.length ? { warnings } : {}),
  };
}

/** Models left behind, once each (every retry is its own attempt; the one that answered is not a fallback). */
export function fallbacksOf(attempts: AttemptRecord[], answered: string): string[] {
  return [...new Set(attempts.filter((a) => a.outcome === 'failed' && a.model !== answered).map((a) => a.model))];
}

/** Workflow time: deterministic (the task's start time), good enough for a ledger figure. */
export function elapsedMs(): number {
  return Math.max(0, Date.now() - workflowInfo().startTime.getTime());
}

export function outcomeOf(err: unknown): Exclude<RequestStatus, 'running'> {
  if (isCancellation(err)) return 'cancelled';
  const f = applicationFailureOf(err);
  if (!f) throw err; // a bug, not an outcome: fail the workflow task so it is retried after a fix
  return f.type === 'PolicyDenied' || f.type === 'Unauthenticated' ? 'denied' : 'failed';
}

/** The identity a refusal carries (set by admission or the plan once they knew it). */
export function refusedAs(err: unknown): RefusedAs | undefined {
  return (applicationFailureOf(err)?.details?.[0] as { who?: RefusedAs } | undefined)?.who;
}

/** A refused request is found by caller, team, task and route like any other. */
export function attribute(who: RefusedAs): void {
  upsertSearchAttributes([
    { key: GatehouseSearch.caller, value: who.caller },
    { key: GatehouseSearch.team, value: who.team },
    ...(who.task ? [{ key: GatehouseSearch.task, value: who.task }] : []),
    ...(who.route ? [{ key: GatehouseSearch.route, value: who.route }] : []),
  ]);
}

export function errorCode(err: unknown): string {
  if (isCancellation(err)) return 'cancelled';
  const f = applicationFailureOf(err);
  const d = f?.details?.[0] as { code?: string } | undefined;
  return d?.code ?? f?.type ?? 'error';
}
