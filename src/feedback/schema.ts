import { z } from 'zod';

/** Longest edited answer and comment accepted (characters): the body stays well under its route's 128 KiB limit. */
export const MAX_EDITED_CHARS = 32_000;
export const MAX_COMMENT_CHARS = 2_000;
/** The route's body limit in bytes (UTF-8 of the two texts at their longest, plus the envelope). */
export const FEEDBACK_BODY_LIMIT = 128 * 1024;

export const FEEDBACK_OUTCOMES = ['accepted', 'edited', 'rejected'] as const;
export type FeedbackOutcome = (typeof FEEDBACK_OUTCOMES)[number];

/**
 * `POST /v1/requests/{id}/feedback`: what the calling app's end user did with the answer. `score` is
 * a number from 0 (useless) to 1 (perfect); `edited_text` comes with `edited` and only with it.
 */
export const FeedbackBodySchema = z
  .strictObject({
    outcome: z.enum(FEEDBACK_OUTCOMES),
    edited_text: z.string().min(1).max(MAX_EDITED_CHARS).optional(),
    score: z.number().min(0).max(1).optional(),
    comment: z.string().max(MAX_COMMENT_CHARS).optional(),
  })
  .refine((b) => (b.outcome === 'edited') === (b.edited_text !== undefined), {
    message: 'edited_text is required with outcome "edited" and only with it',
    path: ['edited_text'],
  });

export type FeedbackBody = z.infer<typeof FeedbackBodySchema>;

export { feedbackFacts, type FeedbackFacts, type FeedbackInput } from './facts';
