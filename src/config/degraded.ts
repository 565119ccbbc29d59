import { z } from 'zod';

/**
 * A route's reduced-output plan (issue 14): what answers when the normal plan cannot. Merged into
 * RouteSchema; absent = today's behaviour (the request fails as before), so a route forbids it
 * simply by not having it. The decision to take it is src/routing/degraded.ts (`takeDegraded`).
 */
const Name = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a simple name (letters, digits, . _ -)');

/** Why the normal plan was left: every model unavailable (failed, breaker open, kill switch), or the budget. */
export const DegradedReasonSchema = z.enum(['unavailable', 'over_budget']);
export type DegradedReason = z.infer<typeof DegradedReasonSchema>;

/** The caller's per-request say (header `x-gatehouse-degraded`): only ever within what the route offers. */
export const DegradedChoiceSchema = z.enum(['allow', 'deny']);
export type DegradedChoice = z.infer<typeof DegradedChoiceSchema>;

export const DegradedSchema = z
  .strictObject({
    /** A cheaper/smaller model, planned like any candidate (approval, data class, kill switch, breaker apply). */
    model: Name.optional(),
    /** The degraded model's answer cap (sent as the request's max tokens; a lower caller value wins). */
    maxTokens: z.number().int().positive().optional(),
    /** A fixed safe answer, the route's own text: given when no model (or not the degraded model) can answer. */
    answer: z.string().trim().min(1).max(4000).optional(),
    /** Which reasons take it. */
    when: z.array(DegradedReasonSchema).min(1).default(['unavailable', 'over_budget']),
    /** true: only for requests that send `x-gatehouse-degraded: allow` (else any request not sending `deny`). */
    callerOptIn: z.boolean().default(false),
  })
  .refine((d) => d.model !== undefined || d.answer !== undefined, { message: 'needs a model or an answer' })
  .refine((d) => d.maxTokens === undefined || d.model !== undefined, { message: 'maxTokens caps the degraded model: set model', path: ['maxTokens'] });

export type DegradedConfig = z.infer<typeof DegradedSchema>;

/** Merged into RouteSchema. */
export const RouteDegraded = {
  degraded: DegradedSchema.optional(),
};
