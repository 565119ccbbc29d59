import { z } from 'zod';
import { parseDuration } from './duration';

/** Longest duration any setting may name: beyond it, a typo ("99999999999999d") would overflow timers and Temporal timeouts. */
export const MAX_DURATION_MS = 366 * 86_400_000;

/** "250ms", "10s", "5m", "24h" — the same strings Temporal accepts as durations — up to 366 days. */
export const DurationSchema = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'must be a duration like "500ms", "10s", "5m" or "24h"')
  // zod runs refinements after a failed regex too: a non-duration is the regex's problem, not this one's.
  .refine((s) => !/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(s) || parseDuration(s) <= MAX_DURATION_MS, 'must be at most 366d');
