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

export interface PrepareInput extends AdmissionInput {
  /** The body's `model`. */
  requestedModel: string;
}

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
};

export function createPrepareActivities(deps: ActivityDeps) {
  const { admitRequest } = createPolicyActivities(deps);
  const { planRequest } = createPlanActivities(deps);
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
      return {
        admission,
        ...planned,
        webhook: config.callers[admission.caller]?.webhook !== undefined,
        answerCheck: checkWithoutContent(routeByName(admission.route, config), input.body.response_format),
        ...(queue ? { queue } : {}),
        ...(cache ? { cache } : {}),
      };
    },

    /** Local activity: a queued request's new plan (admission stands: no second rate-limit token), or why there is still none. */
    async replanRequest(input: PlanInput): Promise<PlanOrWait> {
      return planOrWait(() => planRequest(input), true);
    },
  };
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
