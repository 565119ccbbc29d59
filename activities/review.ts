import { decisionDigest } from '../src/auth';
import { GatewayError } from '../src/errors';
import { mayReview } from '../src/review/access';
import { routeByName } from '../src/routing';
import type { ReviewPhase } from '../src/review/types';
import type { ActivityDeps } from './deps';
import { asFailure } from './policy';

export interface AuthorizeReviewerInput {
  /** The sealed reviewer credential, bound to this workflow and this decision. */
  credential: string;
  /** The decision as sent, which the envelope's digest must match. */
  decision: { action: string; comment?: string; content?: string; reason?: string };
  workflowId: string;
  route: string;
  phase: ReviewPhase;
  /** Workflow times: start, and when the decision arrived (deterministic on replay). */
  startedAtMs: number;
  nowMs: number;
}

export function createReviewActivities(deps: ActivityDeps) {
  return {
    /**
     * Local activity run by the `review` update and signal handlers: the workflow authenticates the
     * reviewer's key itself (an update validator cannot do I/O), so a decision sent around the HTTP
     * API (raw Temporal client, the UI) gets the same check. Refusals are non-retryable failures.
     */
    async authorizeReviewer(input: AuthorizeReviewerInput): Promise<{ reviewer: string }> {
      return asFailure(async () => {
        const binding = { workflowId: input.workflowId, purpose: 'review', decisionDigest: decisionDigest(input.decision) } as const;
        const keyHash = await deps.credentials.open(input.credential, binding, { startedAtMs: input.startedAtMs, nowMs: input.nowMs });
        const who = deps.callers().authenticateHash(keyHash);
        const route = routeByName(input.route, deps.config());
        if (!route || !mayReview(who, route, input.phase)) {
          throw new GatewayError('PolicyDenied', 'review_not_allowed', `${who.name} may not review requests of route "${input.route}"`);
        }
        return { reviewer: who.name };
      });
    },
  };
}
