import type { CallerConfig, Config, RouteConfig } from '../config/schema';
import type { ReviewPhase } from './types';

/**
 * Who may decide which held request. Pure: the admin API uses it for a fast 403 and the list query,
 * the workflow (through a local activity) for the authoritative check.
 *
 * A reviewer is a caller with role `reviewer` that the route names: by the caller's own `reviews:`
 * list, or by name or team in the route's `review.reviewers`. Once the deadline escalated a request,
 * `review.escalateTo` (names or teams) may decide as well.
 */

export interface ReviewerIdentity {
  name: string;
  config: Pick<CallerConfig, 'roles' | 'team' | 'reviews'>;
}

type ReviewRoute = Pick<RouteConfig, 'name' | 'review'>;

export function mayReview(who: ReviewerIdentity, route: ReviewRoute, phase: ReviewPhase): boolean {
  if (!who.config.roles.includes('reviewer') || !route.review) return false;
  if (isFirstReviewer(who, route)) return true;
  return phase === 'escalated' && names(who, route.review.escalateTo);
}

/** Routes whose held requests this reviewer may see: first reviewer or escalation group. */
export function reviewableRoutes(who: ReviewerIdentity, config: Pick<Config, 'routes'>): string[] {
  if (!who.config.roles.includes('reviewer')) return [];
  return config.routes.filter((r) => r.review && (isFirstReviewer(who, r) || names(who, r.review.escalateTo))).map((r) => r.name);
}

function isFirstReviewer(who: ReviewerIdentity, route: ReviewRoute): boolean {
  return (who.config.reviews ?? []).includes(route.name) || names(who, route.review?.reviewers);
}

function names(who: ReviewerIdentity, refs: readonly string[] | undefined): boolean {
  return (refs ?? []).some((ref) => ref === who.name || ref === who.config.team);
}
