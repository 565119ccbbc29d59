import { GatewayError } from '../src/errors';
import { mayReview } from '../src/review/access';
import { routeByName } from '../src/routing';
import type { ReviewPhase } from '../src/review/types';
import type { ActivityDeps } from './deps';
import { asFailure } from './policy';

export interface AuthorizeReviewerInput {
  credential: string;
  route: string;
  phase: ReviewPhase;
}

export function createReviewActivities(deps: ActivityDeps) {
  return {
    /**
     * Local activity run by the `review` update and signal handlers: the workflow authenticates the
     * reviewer's key itself (an update validator cannot do I/O), so a decision sent around the HTTP
     * API (raw Temporal client, the UI) gets the same check. Refusals are non-retryable failures.
     */
    async authorizeReviewer(input: AuthorizeReviewerInput): Promise<{ reviewer: string }> {
      return asFailure(() => {
        const who = deps.callers().authenticateKey(input.credential);
        const route = routeByName(input.route, deps.config());
        if (!route || !mayReview(who, route, input.phase)) {
          throw new GatewayError('PolicyDenied', 'review_not_allowed', `${who.name} may not review requests of route "${input.route}"`);
        }
        return { reviewer: who.name };
      });
    },
  };
}
