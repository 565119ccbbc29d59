import type { ChatCompletion, Usage } from '../../config/api';

/** The Anthropic shapes the gateway answers with (the subset it produces). */
export type AnthropicBlock =
  | { type: 'text'; text: string; citations: null }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
  /** The gateway's metadata (request id, route, attempts, cost…): Anthropic's SDK ignores unknown fields. */
  gatehouse?: unknown;
}

/** Where a tool call's arguments were not a JSON object: kept whole under this key, never dropped or guessed at. */
export const UNPARSED_ARGUMENTS = '_unparsed_arguments';

export const messageId = (completionId: string) => `msg_${completionId.replace(/[^\w-]/g, '_')}`;

/** OpenAI's finish_reason as Anthropic's stop_reason (`stop_sequence` when an adapter reported which one matched). */
export function stopReason(finish: string | null | undefined, refused: boolean, calledTools: boolean): StopReason {
  if (refused || finish === 'content_filter') return 'refusal';
  if (finish === 'length') return 'max_tokens';
  // Some OpenAI-compatible servers say `stop` after a tool call: the client must still run the tool.
  if (finish === 'tool_calls' || finish === 'function_call' || calledTools) return 'tool_use';
  return 'end_turn';
}

/**
 * OpenAI usage as Anthropic's: `prompt_tokens` counts every input token, cached ones included, while
 * Anthropic's `input_tokens` are only those neither read from nor written to the cache.
 */
export function toAnthropicUsage(u: Usage | undefined): AnthropicUsage {
  if (!u) return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null };
  const x = u as Usage & { prompt_tokens_details?: Record<string, unknown> | null; cache_creation_input_tokens?: unknown };
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const read = num(x.prompt_tokens_details?.cached_tokens);
  const written = num(x.cache_creation_input_tokens) ?? num(x.prompt_tokens_details?.cache_creation_tokens) ?? num(x.prompt_tokens_details?.cache_write_tokens);
  return {
    input_tokens: Math.max(0, u.prompt_tokens - (read ?? 0) - (written ?? 0)),
    output_tokens: u.completion_tokens,
    cache_creation_input_tokens: written ?? null,
    cache_read_input_tokens: read ?? null,
  };
}

/**
 * The stop of a finished choice. `stop_sequence` only when an adapter reported which sequence matched
 * (an extra `stop_sequence` on the choice; OpenAI's `stop` does not say).
 */
export function stopOf(choice: object | undefined, refused: boolean, calledTools: boolean): { stop_reason: StopReason; stop_sequence: string | null } {
  const c = (choice ?? {}) as { finish_reason?: string | null; stop_sequence?: unknown };
  if (typeof c.stop_sequence === 'string' && !refused && !calledTools) return { stop_reason: 'stop_sequence', stop_sequence: c.stop_sequence };
  return { stop_reason: stopReason(c.finish_reason, refused, calledTools), stop_sequence: null };
}

/** A tool call's `arguments` text as Anthropic's `input` object. */
export function toolInput(args: string): { input: Record<string, unknown>; parsed: boolean } {
  try {
    const v: unknown = JSON.parse(args === '' ? '{}' : args);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return { input: v as Record<string, unknown>, parsed: true };
  } catch {
    // not JSON: kept as text below
  }
  return { input: { [UNPARSED_ARGUMENTS]: args }, parsed: false };
}

interface ToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
}

/** One chat completion (its first choice) as an Anthropic Message. `model` is the gateway's model name. */
export function toAnthropicMessage(c: ChatCompletion, model: string): { message: AnthropicMessage; warnings: string[] } {
  const choice = c.choices[0]!;
  const m = choice.message as { content?: string | null; refusal?: string | null; tool_calls?: ToolCall[] };
  const warnings: string[] = [];
  const content: AnthropicBlock[] = [];
  const text = (m.content ?? '') + (m.refusal ?? '');
  if (text !== '') content.push({ type: 'text', text, citations: null });
  for (const call of m.tool_calls ?? []) {
    const name = call.function?.name ?? '';
    const { input, parsed } = toolInput(call.function?.arguments ?? '');
    if (!parsed) warnings.push(`tool_use ${name}: the model's arguments are not a JSON object; kept as text in input.${UNPARSED_ARGUMENTS}`);
    content.push({ type: 'tool_use', id: call.id || `toolu_${content.length}`, name, input });
  }
  const message: AnthropicMessage = {
    id: messageId(c.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    ...stopOf(choice, Boolean(m.refusal), (m.tool_calls?.length ?? 0) > 0),
    usage: toAnthropicUsage(c.usage),
  };
  return { message, warnings };
}
