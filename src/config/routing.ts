import { z } from 'zod';
import { RollbackSchema } from './release';

/**
 * Config fragments for routing and data policy (models' data classes and traits, routes' factors).
 * Kept apart from schema.ts so each part of the config reads on its own; schema.ts merges them.
 */
export const DataClassSchema = z.enum(['public', 'internal', 'confidential', 'restricted']);
export const RiskSchema = z.enum(['low', 'medium', 'high']);
export const LatencySchema = z.enum(['realtime', 'batch']);
/** What the answer is worth to the caller (`x-gatehouse-priority` / `metadata.priority`). */
export const PrioritySchema = z.enum(['low', 'normal', 'high']);

const Name = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a simple name (letters, digits, . _ -)');

export const PriceSchema = z.strictObject({
  /** USD per million input tokens. */
  inputPerMTok: z.number().nonnegative(),
  /** USD per million output tokens. */
  outputPerMTok: z.number().nonnegative(),
});

/** What a model may see and how it behaves; merged into ModelSchema. */
export const ModelTraits = {
  /** The data classes this model is approved for (detected sensitivity must be among them). */
  dataClasses: z.array(DataClassSchema).min(1).default(['public', 'internal']),
  /** Runs where no data leaves our control: eligible when policy forces a private route. */
  private: z.boolean().default(false),
  /** `batch`: slower/cheaper, only used for requests that said `latency: batch`. */
  latency: z.enum(['realtime', 'batch', 'any']).default('any'),
  /** Prompt + completion tokens the model accepts. */
  contextWindow: z.number().int().positive().optional(),
  /** Overrides the maintained price table (@pydantic/genai-prices) for this model. */
  price: PriceSchema.optional(),
};

export const SensitivityPolicySchema = z.object({
  /** What happens when the prompt's detected class is at least `minClass`. */
  action: z.enum(['block', 'redact', 'private', 'review', 'allow']).default('allow'),
  minClass: DataClassSchema.default('confidential'),
});

export const CanarySchema = z.object({
  model: Name,
  /** Share of this route's traffic, 0..1. */
  share: z.number().min(0).max(1),
  /** Stable by request id (default) or by caller (a caller always sees the same side). */
  by: z.enum(['request', 'caller']).default('request'),
  /** Drop the share to zero when the candidate fails too often (src/config/release.ts). */
  rollback: RollbackSchema.optional(),
});

/**
 * How one priority weighs cost on a route: its own ceiling, models tried first (e.g. the careful
 * model for high-value work), or the cheapest approved model first (bulk work).
 */
export const PriorityRuleSchema = z.strictObject({
  /** Replaces the route's `maxCostUsd` for requests of this priority. */
  maxCostUsd: z.number().positive().optional(),
  /** Tried before the route's own order (each still passes every routing check). */
  models: z.array(Name).default([]),
  /** `cheapest`: candidates by estimated cost, lowest first; `listed` (default): the route's order. */
  prefer: z.enum(['listed', 'cheapest']).default('listed'),
});

/** Per-route routing factors; merged into RouteSchema. */
export const RouteFactors = {
  /** Models tried first for `latency: batch` requests (cheaper, slower). */
  batch: z.array(Name).default([]),
  /** Per-request ceiling: candidates whose pre-call estimate exceeds it are skipped. */
  maxCostUsd: z.number().positive().optional(),
  /** The route raises every request's risk to at least this. */
  minRisk: RiskSchema.optional(),
  sensitivity: SensitivityPolicySchema.default({ action: 'allow', minClass: 'confidential' }),
  /** Request size limits; over them the request goes to `largerRoute`, else 413. */
  maxInputTokens: z.number().int().positive().optional(),
  maxRequestBytes: z.number().int().positive().optional(),
  largerRoute: Name.optional(),
  /** `test` routes are open only to `testCallers`. */
  stage: z.enum(['stable', 'test']).default('stable'),
  testCallers: z.array(Name).default([]),
  canary: CanarySchema.optional(),
  /** Taken first when the caller's or team's soft budget is reached. */
  cheaperOption: Name.optional(),
  /** Value-aware cost routing: what each declared priority changes on this route (src/routing/priority.ts). */
  priorities: z.partialRecord(PrioritySchema, PriorityRuleSchema).default({}),
};

export type DataClass = z.infer<typeof DataClassSchema>;
export type Risk = z.infer<typeof RiskSchema>;
export type Latency = z.infer<typeof LatencySchema>;
export type Priority = z.infer<typeof PrioritySchema>;
export type PriorityRule = z.infer<typeof PriorityRuleSchema>;
export type Price = z.infer<typeof PriceSchema>;
