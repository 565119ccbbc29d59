import type { Config } from '../config/schema';
import { mayReview } from './access';

/** One config problem: path inside the file and message (the config schema turns it into a zod issue). */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-references of the review settings, checked at startup with the rest of the config: every
 * reviewer named exists and has the reviewer role, every reviewed route can be decided by someone,
 * and `onFailure: review` has a `review:` block to say who and how long.
 */
export function reviewConfigProblems(c: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const reviewers = Object.entries(c.callers).filter(([, k]) => k.roles.includes('reviewer'));
  const known = (ref: string) => reviewers.some(([name, k]) => name === ref || k.team === ref);
  c.routes.forEach((route, i) => {
    if (route.validation?.onFailure === 'review' && !route.review) {
      problems.push({ path: ['routes', i, 'validation', 'onFailure'], message: 'onFailure: review needs a review: block on the route (who reviews, deadline)' });
    }
    if (route.sensitivity.action === 'review' && !route.review) {
      problems.push({ path: ['routes', i, 'sensitivity', 'action'], message: 'action: review needs a review: block on the route (who reviews, deadline)' });
    }
    if (!route.review) return;
    for (const key of ['reviewers', 'escalateTo'] as const) {
      route.review[key]?.forEach((ref, j) => {
        if (!known(ref)) problems.push({ path: ['routes', i, 'review', key, j], message: `"${ref}" is no caller or team with role reviewer` });
      });
    }
    if (!reviewers.some(([name, config]) => mayReview({ name, config }, route, 'review'))) {
      problems.push({ path: ['routes', i, 'review'], message: `nobody may review route "${route.name}": list it in a reviewer's reviews: or set review.reviewers` });
    }
  });
  for (const [name, caller] of Object.entries(c.callers)) {
    if (caller.reviews?.length && !caller.roles.includes('reviewer')) {
      problems.push({ path: ['callers', name, 'reviews'], message: 'reviews: needs role reviewer' });
    }
    caller.reviews?.forEach((routeName, j) => {
      const route = c.routes.find((r) => r.name === routeName);
      if (!route) problems.push({ path: ['callers', name, 'reviews', j], message: `unknown route "${routeName}"` });
      else if (!route.review) problems.push({ path: ['callers', name, 'reviews', j], message: `route "${routeName}" has no review: block` });
    });
  }
  return problems;
}
