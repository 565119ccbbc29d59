import { z } from 'zod';
import type { ChatCompletion, Usage } from '../../config/api';
import { UpstreamError } from '../upstreamError';

/**
 * Anthropic Message → OpenAI chat.completion. Pure. Only the fields the gateway reads are checked;
 * anything else Anthropic adds later passes (loose objects).
 */
const ContentBlockSchema = z.looseObject({ type: z.string(), text: z.string().optional(), id: z.string().optional(), name: z.string().optional(), input: z.unknown().optional() });

/** Anthropic's usage: all counts optional except in the final message (stream deltas repeat some). */
export const AnthropicUsageSchema = z.looseObject({
  input_tokens: z.number().int().nonnegative().nullish(),
  output_tokens: z.number().int().nonnegative().nullish(),
  cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
});
export type AnthropicUsage = z.infer<typeof AnthropicUsageSchema>;

export const AnthropicMessageSchema = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  model: z.string(),
  content: z.array(ContentBlockSchema),
  stop_reason: z.string().nullable(),
  usage: AnthropicUsageSchema,
});
export type AnthropicMessage = z.infer<typeof AnthropicMessageSchema>;

/** Anthropic stop reasons → OpenAI finish reasons; an unknown future reason reads as `stop`. */
const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop', // only server tools pause, and the gateway sends none
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReason(stopReason: string | null | undefined): string | null {
  if (stopReason === null || stopReason === undefined) return null;
  return FINISH[stopReason] ?? 'stop';
}

/**
 * OpenAI usage: `prompt_tokens` counts every input token (uncached, cache reads and cache writes,
 * which Anthropic reports apart), cache reads also in `prompt_tokens_details.cached_tokens`; cache
 * writes are kept as Anthropic's `cache_creation_input_tokens` (they cost more than plain input).
 */
export function toOpenAIUsage(u: AnthropicUsage): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completion = u.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_creation_input_tokens: cacheWrite,
  };
}

export function toChatCompletion(raw: unknown, now = Date.now()): ChatCompletion {
  const parsed = AnthropicMessageSchema.safeParse(raw);
  if (!parsed.success) throw new UpstreamError('malformed', 'provider answer is not an Anthropic message');
  const m = parsed.data;
  const text = m.content.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('');
  const toolCalls = m.content
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({ id: b.id ?? '', type: 'function', function: { name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}) } }));
  const message = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  return {
    id: m.id,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: m.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(m.stop_reason) }],
    usage: toOpenAIUsage(m.usage),
  };
}
