import { z } from 'zod';
import { ModelCatalogFields } from '../catalog/schema';
import { ProviderSchema as ProviderKindsSchema } from '../providers/registry';
import { LimitsSchema, NO_LIMITS } from '../limits/schema';
import { RouteDegraded } from './degraded';
import { RouteCacheSchema } from './cache';
import { ModelDeploymentFields, withDeploymentDefaults } from './deployments';
import { RouteRelease } from './release';
import { DurationSchema } from './durationSchema';
import { checkReferences } from './references';
import { RouteResilience } from './resilience';
import { ModelTraits, PrioritySchema, RiskSchema, RouteFactors } from './routing';
import { ReviewConfigSchema } from '../review/schema';
import { ValidationRulesSchema } from '../validation/schema';
import { WebhookSchema } from '../webhook/schema';

/**
 * The config file's schema: the single source of truth for what `gatehouse.config.yaml` may say.
 * Types below are derived from it; nothing else describes the config.
 */

/** "250ms", "10s", "5m", "24h" — the same strings Temporal accepts as durations (up to 366 days). */
export const DurationString = DurationSchema;

const Name = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a simple name (letters, digits, . _ -)');

/** A provider entry: one of the kinds in src/providers/registry.ts (each kind's schema lives in its folder). */
export const ProviderSchema = ProviderKindsSchema;

export const ModelModeSchema = z.enum(['chat', 'embedding']);
export type ModelMode = z.infer<typeof ModelModeSchema>;

export const ModelSchema = z.preprocess(withDeploymentDefaults, z.object({
  provider: Name,
  /** The model name the provider knows. */
  upstream: z.string().min(1),
  approved: z.boolean().default(true),
  /**
   * What the model does: `chat` (default) answers /v1/chat/completions, `embedding` answers
   * /v1/embeddings (LiteLLM's `mode: embedding`). The planner never sends one the other's requests.
   */
  mode: ModelModeSchema.default('chat'),
  /**
   * Continues a trailing assistant message (a prefill): may finish a broken stream's answer. Default
   * per provider kind (src/catalog/prefill.ts): anthropic, mock and Bedrock's Claude models yes; others no.
   */
  prefill: z.boolean().optional(),
  ...ModelTraits,
  /** Owner, purpose, limitations, status and retirement date (src/catalog/schema.ts). */
  ...ModelCatalogFields,
  /** Several places the model runs, and how a request picks among them (src/config/deployments.ts). */
  ...ModelDeploymentFields,
}));

/** `auditor`: reads usage and cost reports (GET /admin/usage), nothing else. */
export const Role = z.enum(['caller', 'reviewer', 'admin', 'auditor']);

/** `sha256:<hex>` of an API key (keys are 32 random bytes, so a fast hash is safe). */
const KeyHash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" + 64 hex chars (see `gatehouse keys new`)');

export const CallerSchema = z
  .object({
    team: Name,
    roles: z.array(Role).min(1).default(['caller']),
    tasks: z.array(Name).default([]),
    defaultTask: Name.optional(),
    /** `sha256:<hex>` of the API key (keys are 32 random bytes, so a fast hash is safe). */
    keyHash: KeyHash.optional(),
    /**
     * The key being rotated out (`gatehouse keys rotate`): valid beside `keyHash` until `expiresAt`,
     * so clients move to the new key without downtime. Remove it once expired.
     */
    previousKey: z.object({ keyHash: KeyHash, expiresAt: z.iso.datetime({ offset: true }) }).optional(),
    /** The caller whose key `gatehouse start` prints (from GATEHOUSE_DEMO_KEY or ./data/demo-key). */
    demo: z.boolean().default(false),
    /** If set, only these routes / models (else any route of the caller's tasks). */
    routes: z.array(Name).optional(),
    models: z.array(Name).optional(),
    /** Risk assumed when a request declares none. */
    defaultRisk: RiskSchema.default('low'),
    /** Priorities this caller may declare; `high` must be granted (it may choose costlier models). */
    priorities: z.array(PrioritySchema).min(1).default(['low', 'normal']),
    /** Priority assumed when a request declares none. */
    defaultPriority: PrioritySchema.default('normal'),
    /** Role reviewer: the routes whose held requests this caller may decide. */
    reviews: z.array(Name).optional(),
    /** POSTed (HMAC-signed) when each of this caller's requests finishes. */
    webhook: WebhookSchema.optional(),
  })
  .refine((c) => c.keyHash !== undefined || c.demo, { message: 'needs keyHash (or demo: true)' })
  .refine((c) => c.previousKey === undefined || c.keyHash !== undefined, { message: 'previousKey needs the new keyHash beside it', path: ['previousKey'] })
  .refine((c) => c.priorities.includes(c.defaultPriority), { message: 'defaultPriority must be one of priorities', path: ['defaultPriority'] })
  .refine((c) => c.defaultTask === undefined || c.tasks.includes(c.defaultTask), {
    message: 'defaultTask must be one of tasks',
    path: ['defaultTask'],
  });

export const RouteSchema = z.object({
  name: Name,
  /** First route (in file order) whose task, risk and stage fit the request wins. */
  match: z.object({ task: Name, risk: z.array(RiskSchema).optional() }),
  primary: Name,
  fallbacks: z.array(Name).default([]),
  /** Deadline for one provider attempt (connect to last byte). */
  timeout: DurationString.default('30s'),
  /** Extra attempts on the same model for retryable errors (5xx, 429, connection), before falling back. */
  retries: z.number().int().min(0).max(10).default(2),
  ...RouteFactors,
  /** Deadlines (headers, firstToken, idle, total) and the longest retry wait (src/config/resilience.ts). */
  ...RouteResilience,
  /** Checks on every answer (src/validation/schema.ts) and what a failure does. */
  validation: ValidationRulesSchema.optional(),
  /** When answers wait for a human, for how long, and who decides (src/review/schema.ts). */
  review: ReviewConfigSchema.optional(),
  /** Shadow comparison and `protected` (src/config/release.ts). */
  ...RouteRelease,
  /** Reduced-output mode: a cheaper model with a lower cap, or a fixed answer (src/config/degraded.ts). */
  ...RouteDegraded,
  /** Exact response cache, opt-in (src/config/cache.ts, src/cache/). */
  cache: RouteCacheSchema.optional(),
});

export const ConfigSchema = z
  .object({
    providers: z.record(Name, ProviderSchema),
    models: z.record(Name, ModelSchema),
    callers: z.record(Name, CallerSchema),
    routes: z.array(RouteSchema).min(1),
    /** Rate limits, budgets and loop detection (see src/limits/schema.ts). */
    limits: LimitsSchema.default(NO_LIMITS),
  })
  .superRefine(checkReferences);

export type Config = z.infer<typeof ConfigSchema>;
export type ProviderConfig = z.infer<typeof ProviderSchema>;
export type ModelConfig = z.infer<typeof ModelSchema>;
export type CallerConfig = z.infer<typeof CallerSchema>;
export type RouteConfig = z.infer<typeof RouteSchema>;
export type RoleName = z.infer<typeof Role>;
