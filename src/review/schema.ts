import { z } from 'zod';
import { parseDuration } from '../config/duration';
import { MAX_DURATION_MS } from '../config/durationSchema';

/**
 * A route's `review:` block: when to hold an answer for a human, for how long, and what happens when
 * nobody decides. Kept apart from src/config/schema.ts (which imports it) so workflow code and the
 * review API can use the types without pulling in the whole config.
 */

/** When a route holds an answer: always, for high-risk requests, on a failed validation, on sensitive output. */
export const ReviewWhen = z.enum(['always', 'risk_high', 'on_validation_failure', 'on_sensitive_output']);

/** What the deadline does: reject the request, approve the answer as it is, or hand it to `escalateTo`. */
export const ReviewOnTimeout = z.enum(['reject', 'approve', 'escalate']);

const ReviewerRef = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a caller name or a team');

/** "24h", "2s": parsed by the same function the workflow uses, so the two never disagree. */
const ReviewDuration = z.string().refine((s) => isDuration(s), 'must be a duration like "30m", "24h" or "2d"');

export const ReviewConfigSchema = z
  .strictObject({
    /** One condition or a list; any one holds the answer. */
    when: z.union([ReviewWhen, z.array(ReviewWhen).min(1)]).transform((w) => (Array.isArray(w) ? [...new Set(w)] : [w])),
    deadline: ReviewDuration.default('24h'),
    onTimeout: ReviewOnTimeout.default('reject'),
    /** Reviewer names or teams that may decide once the deadline escalated the request. */
    escalateTo: z.array(ReviewerRef).min(1).optional(),
    /** Reviewer names or teams that may decide (besides callers whose `reviews:` lists this route). */
    reviewers: z.array(ReviewerRef).optional(),
  })
  .refine((r) => r.onTimeout !== 'escalate' || (r.escalateTo?.length ?? 0) > 0, {
    message: 'onTimeout: escalate needs escalateTo (reviewer names or teams)',
    path: ['escalateTo'],
  });

export type ReviewConfig = z.infer<typeof ReviewConfigSchema>;
export type ReviewWhenName = z.infer<typeof ReviewWhen>;
export type ReviewOnTimeoutAction = z.infer<typeof ReviewOnTimeout>;

function isDuration(text: string): boolean {
  try {
    const ms = parseDuration(text);
    return ms > 0 && ms <= MAX_DURATION_MS;
  } catch {
    return false;
  }
}
