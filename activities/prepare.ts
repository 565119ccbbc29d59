import { fromFailure } from '../src/errors';
import { queueReason, queueSettings, type QueueReason, type QueueSettings } from '../src/queue/decide';
import { routeByName } from '../src/routing';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { createPlanActivities, type PlanInput, type PlannedRequest } from './plan';
import { createPolicyActivities, type AdmissionInput } from './policy';
import { takeSnapshot } from './snapshot';
import { lookUpCache, type CachePlan } from './cache';
import { checkWithoutContent, type AnswerCheck } from './validation';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { answerEndsRequest } from '../src/review/decide';
import { rowOf } from '../src/requests/ledgerRow';
import { answeredAttempt, mayRunFirstTry, tryInputOf } from '../src/routing/firstTry';
import type { ChatCompletionRequest } from '../src/config/api';
import type { Candidate } from '../src/routing';
import { createProviderActivities, type ProviderCallInput, type ProviderCallResult } from './callProvider';

export interface PrepareInput extends AdmissionInput {
  /** The body's `model`. */
  requestedModel: string;
  /** The workflow takes the first try from here when `mayRunFirstTry` allows (a chat request whose caller waits on its connection). */
  firstTry?: boolean;
}

/**
 * The request's first provider call, made by this activity (src/routing/firstTry.ts): its answer,
 * its failure as plain data (the workflow raises it where its own call would have), or a
 * cancellation that arrived during it (the workflow, now knowing the admission, records it as such).
 */
export type FirstTry =
  | { model: string; result: ProviderCallResult }
  | { model: string; failure: { message: string; type: string; nonRetryable: boolean; details: unknown[] } }
  | { model: string; cancelled: true };

/** No candidate can answer now, and the route queues: why (the workflow waits and plans again). */
export interface Unavailable {
  reason: QueueReason;
  code: string;
  message: string;
}

/** A plan, or (only on a route that queues) why there is none now. */
export type PlanOrWait = { plan: PlannedRequest; unavailable?: undefined } | { plan?: undefined; unavailable: Unavailable };

/** Everything the workflow needs before the first provider call, decided in one step. */
export type PreparedRequest = PlanOrWait & {
  admission: Admission;
  /** The caller has a webhook to notify when the request ends. */
  webhook: boolean;
  /** The answer check when it does not depend on the answer's content; null = check each answer. */
  answerCheck: AnswerCheck | null;
  /** The route's queue as this request uses it; absent: no waiting (never for embeddings). */
  queue?: QueueSettings;
  /** The route's response cache for this request: where to keep the answer, and a hit (src/cache/). */
  cache?: CachePlan;
  /** Set when this activity made the first provider call itself (`PrepareInput.firstTry`). */
  firstTry?: FirstTry;
  /**
   * Set with every `firstTry`: when that try answers, the workflow writes the request's search
   * attributes in one upsert as it ends (who, where, how it ended) instead of one at admission and
   * one at the end. The marker carries the choice, so histories recorded before (two upserts) replay.
   */
  searchOnce?: true;
};

export function createPrepareActivities(deps: ActivityDeps) {
  const { admitRequest } = createPolicyActivities(deps);
  const { planRequest } = createPlanActivities(deps);
  const { callProvider } = createProviderActivities(deps);
  return {
    /**
     * Local activity, the workflow's first step: admission (authenticate, authorize, screen, limits)
     * then the plan, in one marker: the steps that always run together run as one (merging these
     * and two other local activities cut worker CPU per request by a third; docs/performance.md).
     */
    async prepareRequest(input: PrepareInput): Promise<PreparedRequest> {
      const snap = takeSnapshot(deps); // read once: a reload mid-prepare cannot split route and plan
      const { config } = snap;
      const admission = await admitRequest(input, snap);
      const route = routeByName(admission.route, config);
      const queue = input.operation === 'embeddings' ? undefined : queueSettings(route?.queue, input.queue);
      const planned = await planOrWait(() => planRequest({ requestId: input.requestId, admission, requestedModel: input.requestedModel, operation: input.operation }, snap), queue !== undefined);
      const sent = admission.redactedMessages ? { ...input.body, messages: admission.redactedMessages } : input.body;
      const cache = input.operation === 'embeddings' || planned.plan?.degraded?.left ? undefined : await lookUpCache(deps, { route, admission, body: sent, first: planned.plan?.candidates[0], directive: input.cacheControl });
      const prepared: PreparedRequest = {
        admission,
        ...planned,
        webhook: config.callers[admission.caller]?.webhook !== undefined,
        answerCheck: checkWithoutContent(routeByName(admission.route, config), input.body.response_format),
        ...(queue ? { queue } : {}),
        ...(cache ? { cache } : {}),
      };
      const first = input.firstTry ? mayRunFirstTry({ plan: prepared.plan, answerEnds: answerEndsRequest(admission, prepared.answerCheck), cached: cache !== undefined }) : undefined;
      if (!first || !prepared.plan) return prepared;
      return { ...prepared, firstTry: await firstTryOf(callProvider, firstTryInput(input, prepared, prepared.plan, first, sent), first), searchOnce: true };
    },

    /** Local activity: a queued request's new plan (admission stands: no second rate-limit token), or why there is still none. */
    async replanRequest(input: PlanInput): Promise<PlanOrWait> {
      return planOrWait(() => planRequest(input), true);
    },
  };
}

/** The first try's input exactly as the workflow's own first try would send it (workflows/tryCandidate.ts). */
function firstTryInput(input: PrepareInput, prepared: PreparedRequest, plan: PlannedRequest, candidate: Candidate, body: ChatCompletionRequest): ProviderCallInput {
  const attempts = [answeredAttempt(candidate, 1, 0)];
  const row = rowOf(input.requestId, { admission: prepared.admission, plan, candidate, attempts, status: 'completed' }, 0);
  const recordOnAnswer = { row, workflowStartMs: input.startedAtMs };
  return { ...tryInputOf(plan, candidate, { requestId: input.requestId, attempt: 1, recordOnAnswer }), body, maxOutputTokens: candidate.maxOutputTokens };
}

/** Runs the first try; whatever it ends with is returned as data, never thrown (a retry of this step must not call twice). */
async function firstTryOf(call: (i: ProviderCallInput) => Promise<ProviderCallResult>, input: ProviderCallInput, candidate: Candidate): Promise<FirstTry> {
  const model = candidate.model;
  const ctx = Context.current();
  if (ctx.cancellationSignal.aborted) return { model, cancelled: true };
  try {
    return { model, result: await call(input) };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) return { model, cancelled: true };
    // As the workflow would see a local activity's failure: an ApplicationFailure, else one made from the error.
    const f = err instanceof ApplicationFailure ? err : ApplicationFailure.create({ message: (err as Error)?.message ?? String(err), type: (err as Error)?.name ?? 'Error' });
    return { model, failure: { message: f.message, type: f.type ?? 'Error', nonRetryable: f.nonRetryable === true, details: [...(f.details ?? [])] } };
  }
}

/** The plan; or, when the route queues and the failure is one that waiting may cure, why not now. */
async function planOrWait(plan: () => Promise<PlannedRequest>, queues: boolean): Promise<PlanOrWait> {
  try {
    return { plan: await plan() };
  } catch (err) {
    const e = queues ? fromFailure(err) : undefined;
    const reason = e && queueReason(e, []);
    if (!e || !reason) throw err;
    return { unavailable: { reason, code: e.code, message: e.message } };
  }
}
