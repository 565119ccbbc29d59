import { z } from 'zod';
import { DurationSchema } from './durationSchema';

/**
 * Release-control fragments of a route: shadow comparison, automatic rollback of a canary or
 * shadow, and `protected` (changes need a second admin). Merged into RouteSchema / CanarySchema.
 * (Names are repeated here so this file imports nothing from schema.ts; durations come from durationSchema.ts.)
 */
const Duration = DurationSchema;
const Name = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a simple name (letters, digits, . _ -)');
const Rate = z.number().min(0).max(1);

/** When the candidate's outcomes in the window pass a threshold, its share drops to zero (a recorded change). */
export const RollbackSchema = z
  .strictObject({
    /** Share of the candidate's requests that failed (0..1). */
    maxErrorRate: Rate.optional(),
    /** Share of the candidate's validated answers that failed validation (0..1). */
    maxValidationFailureRate: Rate.optional(),
    /** Only outcomes this recent count (and only since the current canary/shadow setting). */
    window: Duration.default('5m'),
    /** No decision on fewer outcomes than this: a single early failure is not a trend. */
    minRequests: z.number().int().positive().default(20),
  })
  .refine((r) => r.maxErrorRate !== undefined || r.maxValidationFailureRate !== undefined, {
    message: 'set maxErrorRate or maxValidationFailureRate',
  });

/**
 * How two answers are compared: `exact` (classification, extraction: normalized equality),
 * `text` (token-set Jaccard similarity), `json` (share of JSON leaf fields that agree),
 * `auto` (json when both answers are JSON, else text).
 */
export const CompareMethodSchema = z.enum(['auto', 'exact', 'text', 'json']);

export const ShadowSchema = z.strictObject({
  /** Runs beside the primary on a sampled share; the caller never sees its answer or waits for it. */
  model: Name,
  /** Share of this route's requests (stable by request id), 0..1. */
  share: Rate,
  compare: CompareMethodSchema.default('auto'),
  rollback: RollbackSchema.optional(),
});

export const RouteRelease = {
  shadow: ShadowSchema.optional(),
  /** Changes that add, remove or alter this route need a second admin's approval. */
  protected: z.boolean().default(false),
  /**
   * Approval gate: a new definition of this route goes live at once but as `proposed` — serving
   * only its `testCallers` and the risk levels it is cleared for (never `high`) — until a second
   * admin approves it (`gatehouse routes approve-route NAME`); src/routing/approval.ts.
   */
  approval: z.strictObject({ clearedRisk: z.array(z.enum(['low', 'medium'])).default([]) }).optional(),
};

export type RollbackRule = z.infer<typeof RollbackSchema>;
export type ShadowConfig = z.infer<typeof ShadowSchema>;
export type CompareMethod = z.infer<typeof CompareMethodSchema>;
