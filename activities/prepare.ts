import { routeByName } from '../src/routing';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { createPlanActivities, type PlannedRequest } from './plan';
import { createPolicyActivities, type AdmissionInput } from './policy';
import { takeSnapshot } from './snapshot';
import { checkWithoutContent, type AnswerCheck } from './validation';

export interface PrepareInput extends AdmissionInput {
  /** The body's `model`. */
  requestedModel: string;
}

/** Everything the workflow needs before the first provider call, decided in one step. */
export interface PreparedRequest {
  admission: Admission;
  plan: PlannedRequest;
  /** The caller has a webhook to notify when the request ends. */
  webhook: boolean;
  /** The answer check when it does not depend on the answer's content; null = check each answer. */
  answerCheck: AnswerCheck | null;
}

export function createPrepareActivities(deps: ActivityDeps) {
  const { admitRequest } = createPolicyActivities(deps);
  const { planRequest } = createPlanActivities(deps);
  return {
    /**
     * Local activity, the workflow's first step: admission (authenticate, authorize, screen, limits)
     * then the plan, in one marker. Each local activity costs the TypeScript SDK a few milliseconds
     * of CPU (measured ~3 ms here), so the steps that always run together run as one.
     */
    async prepareRequest(input: PrepareInput): Promise<PreparedRequest> {
      const snap = takeSnapshot(deps); // read once: a reload mid-prepare cannot split route and plan
      const { config } = snap;
      const admission = await admitRequest(input, snap);
      const plan = await planRequest({ requestId: input.requestId, admission, requestedModel: input.requestedModel, operation: input.operation }, snap);
      return {
        admission,
        plan,
        webhook: config.callers[admission.caller]?.webhook !== undefined,
        answerCheck: checkWithoutContent(routeByName(plan.route, config), input.body.response_format),
      };
    },
  };
}
