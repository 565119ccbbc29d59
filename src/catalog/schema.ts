import { z } from 'zod';

/**
 * The model catalogue's fields, merged into ModelSchema (src/config/schema.ts): who owns a model,
 * what it is for, what it cannot do, and where it is in its life. Only `approved` and `deprecated`
 * models are routable (src/catalog/status.ts).
 */
export const ModelStatusSchema = z.enum(['proposed', 'approved', 'deprecated', 'retired']);

export const ModelCatalogFields = {
  /**
   * Approval status. When absent, the older boolean `approved` decides: `approved: false` is
   * `proposed`, anything else `approved`. When both are given, `status` wins.
   */
  status: ModelStatusSchema.optional(),
  /** Team or person answerable for the model (who to call in an incident). */
  owner: z.string().min(1).optional(),
  /** What the model is for, in a line. */
  purpose: z.string().min(1).optional(),
  /** Known limitations, one per entry (shown by `gatehouse models show`). */
  limitations: z.array(z.string().min(1)).default([]),
  /** From 00:00 UTC on this date (YYYY-MM-DD) the model counts as retired and never runs. */
  retirementDate: z.iso.date('must be an ISO date like "2026-06-30"').optional(),
};

export type ModelStatus = z.infer<typeof ModelStatusSchema>;
