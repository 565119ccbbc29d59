import { z } from 'zod';

/**
 * `POST /v1/messages` in Anthropic's Messages shape: the fields the gateway can carry into its one
 * internal request (OpenAI chat completions). Strict objects: a field the gateway would have to drop
 * (server tools, `container`, `service_tier`, …) is a 400 naming it, never ignored.
 */
const CacheControl = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullable().optional();

const TextBlock = z.strictObject({ type: z.literal('text'), text: z.string(), cache_control: CacheControl, citations: z.null().optional() });

const ImageSource = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('base64'), media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']), data: z.string().min(1) }),
  z.strictObject({ type: z.literal('url'), url: z.string().url() }),
]);
const ImageBlock = z.strictObject({ type: z.literal('image'), source: ImageSource, cache_control: CacheControl });

const DocumentSource = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('base64'), media_type: z.literal('application/pdf'), data: z.string().min(1) }),
  z.strictObject({ type: z.literal('text'), media_type: z.literal('text/plain'), data: z.string() }),
]);
const DocumentBlock = z.strictObject({
  type: z.literal('document'),
  source: DocumentSource,
  title: z.string().nullable().optional(),
  context: z.string().nullable().optional(),
  cache_control: CacheControl,
});

const ToolUseBlock = z.strictObject({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()), cache_control: CacheControl });

const ToolResultBlock = z.strictObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(TextBlock)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: CacheControl,
});

export const ContentBlockSchema = z.discriminatedUnion('type', [TextBlock, ImageBlock, DocumentBlock, ToolUseBlock, ToolResultBlock], {
  error: 'a content block is text, image, document, tool_use or tool_result (thinking, search-result and server-tool blocks are not supported by the gateway)',
});

export const MessageParamSchema = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(ContentBlockSchema)]),
});

const ToolSchema = z.strictObject({
  // Server tools (web search, bash, code execution…) run inside Anthropic's API: no other provider has them.
  type: z.literal('custom', { error: 'server tools (web search, code execution, bash…) run only inside Anthropic\'s API: the gateway takes custom tools' }).nullable().optional(),
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal('object') }),
  cache_control: CacheControl,
  strict: z.boolean().optional(),
});

const ToolChoiceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal('none') }),
]);

const ThinkingSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1) }),
  z.strictObject({ type: z.literal('disabled') }),
]);

export const MessagesRequestSchema = z.strictObject({
  model: z.string().min(1),
  max_tokens: z.number({ error: 'max_tokens is required (a whole number ≥ 1)' }).int().min(1),
  messages: z.array(MessageParamSchema).min(1, 'messages must not be empty'),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  tools: z.array(ToolSchema).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.strictObject({ user_id: z.string().max(256).nullable().optional() }).optional(),
  stream: z.boolean().optional(),
  thinking: ThinkingSchema.optional(),
});

export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;
export type ContentBlock = z.infer<typeof ContentBlockSchema>;
export type MessageParam = z.infer<typeof MessageParamSchema>;

type Issue = z.core.$ZodIssue;

/**
 * Issues a caller can act on: where a union failed (content is a string *or* blocks), the branch
 * that got furthest explains it (a bad block deep in the array, not "expected string").
 */
export function explainIssues(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((i) => {
    if (i.code !== 'invalid_union' || i.errors.length === 0) return [i];
    const depth = (branch: readonly Issue[]) => Math.max(0, ...branch.map((e) => e.path.length));
    const best = i.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    return explainIssues(best.map((e) => ({ ...e, path: [...i.path, ...e.path] }) as Issue));
  });
}
