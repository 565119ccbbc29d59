import { z } from 'zod';

/**
 * The config file's schema: the single source of truth for what `gatehouse.config.yaml` may say.
 * Types below are derived from it; nothing else describes the config.
 */

/** "250ms", "10s", "5m", "24h" — the same strings Temporal accepts as durations. */
export const DurationString = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'must be a duration like "500ms", "10s", "5m" or "24h"');

const Name = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a simple name (letters, digits, . _ -)');

export const ProviderSchema = z.discriminatedUnion('kind', [
  z.object({
    /** The built-in mock server that `gatehouse start` runs itself. */
    kind: z.literal('mock'),
  }),
  z.object({
    /** Any OpenAI-compatible chat completions API (OpenAI, vLLM, Ollama, another gateway, the mock). */
    kind: z.enum(['openai', 'openai-compatible']),
    baseUrl: z.url(),
    /** Name of the environment variable holding the key; the key itself never sits in the file. */
    apiKeyEnv: z.string().optional(),
  }),
]);

export const ModelSchema = z.object({
  provider: Name,
  /** The model name the provider knows. */
  upstream: z.string().min(1),
  approved: z.boolean().default(true),
});

export const Role = z.enum(['caller', 'reviewer', 'admin']);

export const CallerSchema = z
  .object({
    team: Name,
    roles: z.array(Role).min(1).default(['caller']),
    tasks: z.array(Name).default([]),
    defaultTask: Name.optional(),
    /** `sha256:<hex>` of the API key (keys are 32 random bytes, so a fast hash is safe). */
    keyHash: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" + 64 hex chars (see `gatehouse keys new`)')
      .optional(),
    /** The caller whose key `gatehouse start` prints (from GATEHOUSE_DEMO_KEY or ./data/demo-key). */
    demo: z.boolean().default(false),
  })
  .refine((c) => c.keyHash !== undefined || c.demo, { message: 'needs keyHash (or demo: true)' })
  .refine((c) => c.defaultTask === undefined || c.tasks.includes(c.defaultTask), {
    message: 'defaultTask must be one of tasks',
    path: ['defaultTask'],
  });

export const RouteSchema = z.object({
  name: Name,
  match: z.object({ task: Name }),
  primary: Name,
  fallbacks: z.array(Name).default([]),
  /** Deadline for one provider attempt (connect to last byte). */
  timeout: DurationString.default('30s'),
  /** Extra attempts on the same model for retryable errors (5xx, 429, connection), before falling back. */
  retries: z.number().int().min(0).max(10).default(2),
});

export const ConfigSchema = z
  .object({
    providers: z.record(Name, ProviderSchema),
    models: z.record(Name, ModelSchema),
    callers: z.record(Name, CallerSchema),
    routes: z.array(RouteSchema).min(1),
  })
  .superRefine(checkReferences);

export type Config = z.infer<typeof ConfigSchema>;
export type ProviderConfig = z.infer<typeof ProviderSchema>;
export type ModelConfig = z.infer<typeof ModelSchema>;
export type CallerConfig = z.infer<typeof CallerSchema>;
export type RouteConfig = z.infer<typeof RouteSchema>;
export type RoleName = z.infer<typeof Role>;

/** Cross-references zod cannot express field by field: every name used must be declared. */
function checkReferences(cfg: z.infer<z.ZodObject<any>>, ctx: z.RefinementCtx): void {
  const c = cfg as Config;
  for (const [name, model] of Object.entries(c.models)) {
    if (!c.providers[model.provider]) {
      ctx.addIssue({ code: 'custom', path: ['models', name, 'provider'], message: `unknown provider "${model.provider}"` });
    }
  }
  const seenTasks = new Map<string, number>();
  c.routes.forEach((route, i) => {
    [route.primary, ...route.fallbacks].forEach((m, j) => {
      if (!c.models[m]) {
        const path = j === 0 ? ['routes', i, 'primary'] : ['routes', i, 'fallbacks', j - 1];
        ctx.addIssue({ code: 'custom', path, message: `unknown model "${m}"` });
      }
    });
    const prev = seenTasks.get(route.match.task);
    if (prev !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['routes', i, 'match', 'task'], message: `task "${route.match.task}" is already matched by routes[${prev}]` });
    }
    seenTasks.set(route.match.task, i);
  });
  for (const [name, caller] of Object.entries(c.callers)) {
    caller.tasks.forEach((t, i) => {
      if (!seenTasks.has(t)) ctx.addIssue({ code: 'custom', path: ['callers', name, 'tasks', i], message: `no route matches task "${t}"` });
    });
  }
}
