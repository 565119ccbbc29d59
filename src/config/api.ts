import { z } from 'zod';

/**
 * API bodies. `POST /v1/chat/completions` accepts the OpenAI shape; fields the gateway does not
 * interpret are kept (loose objects) and passed to the provider unchanged.
 */
const ContentPart = z.looseObject({ type: z.string() });

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
  name: z.string().optional(),
});

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1, 'messages must not be empty'),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const UsageSchema = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});

/** What a provider must hand back; checked at the activity boundary so garbage never enters history. */
export const ChatCompletionSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion').optional(),
  created: z.number().optional(),
  model: z.string(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int(),
        message: z.looseObject({ role: z.string(), content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: UsageSchema.optional(),
});

export type Usage = z.infer<typeof UsageSchema>;
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

/** Input of the TypeScript client's `request` / `start`: the same body as HTTP, plus what headers carry there. */
export const ClientRequestSchema = z.object({
  body: ChatCompletionRequestSchema,
  /** Else the caller's default task (HTTP: `x-gatehouse-task`). */
  task: z.string().min(1).optional(),
  /** HTTP: `x-gatehouse-risk`, `x-gatehouse-latency`. */
  risk: z.enum(['low', 'medium', 'high']).optional(),
  latency: z.enum(['realtime', 'batch']).optional(),
  /** `no-cache` answers fresh, `no-store` also keeps nothing, where the route's cache allows (HTTP: `Cache-Control`). */
  cacheControl: z.enum(['no-cache', 'no-store']).optional(),
  /** `low` | `normal` | `high` (HTTP: `x-gatehouse-priority`): the route's rule for it (cost ceiling, models first). */
  priority: z.enum(['low', 'normal', 'high']).optional(),
  /** `allow` | `deny` the route's reduced-output plan (HTTP: `x-gatehouse-degraded`); a route without one ignores it. */
  degraded: z.enum(['allow', 'deny']).optional(),
  /** `no`, or a duration shortening the route's queue `maxWait` (HTTP: `x-gatehouse-queue`; src/queue/decide.ts). */
  queue: z.string().max(20).optional(),
  /** Idempotency, per API key: the workflow id becomes `req-<key tag>-<requestId>` (HTTP: `Idempotency-Key`). */
  requestId: z.string().regex(/^[\w.:-]{1,200}$/, 'requestId must be 1-200 characters of letters, digits, _ . : -').optional(),
});
export type ClientRequest = z.input<typeof ClientRequestSchema>;

/**
 * `POST /v1/embeddings` in OpenAI's shape. Text inputs only: token-id arrays are OpenAI-specific and
 * no other provider can take them (refused with a clear 400 instead of a provider's surprise).
 */
export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string().min(1, 'input must not be empty'), z.array(z.string().min(1, 'input strings must not be empty')).min(1, 'input must not be empty').max(2048, 'at most 2048 inputs per request')]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/** What a request asks of a model: a chat completion or embeddings (ModelSchema's `mode` says which a model does). */
export type Operation = 'chat' | 'embeddings';

/** What an adapter's `embed` hands back (OpenAI's shape, floats); checked at the activity boundary. */
export const EmbeddingsResponseSchema = z.looseObject({
  object: z.literal('list').optional(),
  data: z.array(z.looseObject({ object: z.literal('embedding').optional(), index: z.number().int().nonnegative(), embedding: z.array(z.number()) })).min(1),
  model: z.string(),
  usage: z.looseObject({ prompt_tokens: z.number().int().nonnegative(), total_tokens: z.number().int().nonnegative() }),
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>;
