import { z } from 'zod';

/**
 * The `limits:` config block. Every part is optional: no block (or an empty one) means no limits.
 *
 * ```yaml
 * limits:
 *   callers: { support-bot: { rpm: 60, tpm: 100000 } }
 *   teams:   { support: { rpm: 600, tpm: 1000000, budget: { dailyUsd: 50, monthlyUsd: 1000, soft: 0.8 } } }
 *   routes:  { chat: { rpm: 1000 } }
 *   callerBudgets: { support-bot: { dailyUsd: 5, monthlyUsd: 100, soft: 0.8 } }
 *   loop: { maxRepeats: 5, windowSeconds: 60 }
 * ```
 */

/** Requests and (estimated prompt + max output) tokens per minute; either may be left out. */
export const RateLimitSchema = z.strictObject({
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
});

/** USD per UTC day / UTC month; `soft` is the fraction at which admission says `soft_limit`. */
export const BudgetSchema = z
  .strictObject({
    dailyUsd: z.number().positive().optional(),
    monthlyUsd: z.number().positive().optional(),
    soft: z.number().gt(0).max(1).default(0.8),
  })
  .refine((b) => b.dailyUsd !== undefined || b.monthlyUsd !== undefined, { message: 'needs dailyUsd or monthlyUsd' });

export const TeamLimitSchema = RateLimitSchema.extend({ budget: BudgetSchema.optional() });

/**
 * Same caller, same messages more than `maxRepeats` times within `windowSeconds` → refused. Off
 * unless configured: repeated identical prompts are legitimate for some callers (health probes, tests).
 */
export const LoopSchema = z.strictObject({
  maxRepeats: z.number().int().positive().default(5),
  windowSeconds: z.number().int().positive().default(60),
});

export const LimitsSchema = z.strictObject({
  callers: z.record(z.string(), RateLimitSchema).default({}),
  teams: z.record(z.string(), TeamLimitSchema).default({}),
  routes: z.record(z.string(), RateLimitSchema).default({}),
  callerBudgets: z.record(z.string(), BudgetSchema).default({}),
  loop: LoopSchema.optional(),
});

export type RateLimitConfig = z.infer<typeof RateLimitSchema>;
export type BudgetConfig = z.infer<typeof BudgetSchema>;
export type TeamLimitConfig = z.infer<typeof TeamLimitSchema>;
export type LoopConfig = z.infer<typeof LoopSchema>;
export type LimitsConfig = z.infer<typeof LimitsSchema>;

/** The parsed empty block: no limits at all. */
export const NO_LIMITS: LimitsConfig = LimitsSchema.parse({});

export interface LimitIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Names in `limits` that the rest of the config does not declare (a typo would silently disable a
 * limit). For the config's superRefine: `issues.forEach((i) => ctx.addIssue({ code: 'custom', ...i }))`.
 */
export function limitReferenceIssues(
  limits: LimitsConfig,
  known: { callers: Iterable<string>; teams: Iterable<string>; routes: Iterable<string> },
): LimitIssue[] {
  const callers = new Set(known.callers);
  const teams = new Set(known.teams);
  const routes = new Set(known.routes);
  const check = (section: keyof LimitsConfig, names: Set<string>, what: string): LimitIssue[] =>
    Object.keys((limits[section] ?? {}) as object)
      .filter((name) => !names.has(name))
      .map((name) => ({ path: ['limits', section, name], message: `unknown ${what} "${name}"` }));
  return [
    ...check('callers', callers, 'caller'),
    ...check('teams', teams, 'team'),
    ...check('routes', routes, 'route'),
    ...check('callerBudgets', callers, 'caller'),
  ];
}
