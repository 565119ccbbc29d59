import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  Tool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionRequest, ChatMessage } from '../../config/api';

/**
 * OpenAI chat request → Anthropic Messages request. Pure. What cannot be mapped is left out here
 * and named by `unsupportedFields` (unsupported.ts), which follows the same rules.
 */

/**
 * Anthropic requires `max_tokens`; OpenAI callers often send none. 4096 is the cap every current
 * Claude model accepts (the smallest model maximum) and the value Anthropic's own examples use; the
 * gateway's budget cap, when it sets one, arrives as `max_tokens` and wins.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** Anthropic's temperature range is 0–1 (OpenAI's 0–2). */
export const MAX_TEMPERATURE = 1;

/** The first API version without `temperature`, `top_p`, `top_k` (they are a 400 there). */
const NO_SAMPLING_FROM = '2026-10-21';

/** Does this API version still take the sampling parameters? */
export function samplingAllowed(version: string): boolean {
  return version < NO_SAMPLING_FROM;
}

/** The body as sent: the SDK's type, plus the sampling fields that API version 2023-06-01 still takes. */
export type AnthropicBody = MessageCreateParamsNonStreaming & { temperature?: number; top_p?: number; top_k?: number };

type OpenAIToolCall = { id?: string; type?: string; function?: { name?: string; arguments?: string } };
type Part = { type: string; text?: unknown; image_url?: { url?: unknown } | string; cache_control?: unknown };

/**
 * Anthropic's prompt-caching hint, as `/v1/messages` carries it in on text parts and tools: sent
 * on, so a cached prefix is read at the cache rate. Only the documented shape is passed.
 */
function cacheControl(x: { cache_control?: unknown }): { cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' } } {
  const c = x.cache_control as { type?: unknown; ttl?: unknown } | undefined;
  if (c?.type !== 'ephemeral') return {};
  return { cache_control: { type: 'ephemeral', ...(c.ttl === '5m' || c.ttl === '1h' ? { ttl: c.ttl } : {}) } };
}

export function toAnthropicRequest(upstreamModel: string, req: ChatCompletionRequest, version: string): AnthropicBody {
  const r = req as Record<string, unknown>;
  const system = req.messages.filter(isSystem).flatMap((m) => textBlocks(m.content));
  const body: AnthropicBody = {
    model: upstreamModel,
    max_tokens: maxTokens(req),
    messages: mergeTurns(req.messages.filter((m) => !isSystem(m)).map(toTurn)),
  };
  if (system.length > 0) body.system = system;
  const stop = typeof r.stop === 'string' ? [r.stop] : Array.isArray(r.stop) ? r.stop.filter((s): s is string => typeof s === 'string') : [];
  if (stop.length > 0) body.stop_sequences = stop;
  if (samplingAllowed(version)) addSampling(body, r);
  const tools = functionTools(r.tools);
  if (tools.length > 0) {
    body.tools = tools;
    const choice = toolChoice(r.tool_choice, r.parallel_tool_calls);
    if (choice) body.tool_choice = choice;
  }
  const schema = jsonSchemaOf(r.response_format);
  if (schema) body.output_config = { format: { type: 'json_schema', schema } };
  if (typeof r.user === 'string' && r.user !== '') body.metadata = { user_id: r.user };
  return body;
}

/** The lower of the two OpenAI limits when both are set (the gateway's budget cap lowers both); else the default. */
function maxTokens(req: ChatCompletionRequest): number {
  const set = [req.max_tokens, req.max_completion_tokens].filter((n): n is number => n !== undefined);
  return set.length > 0 ? Math.min(...set) : DEFAULT_MAX_TOKENS;
}

const isSystem = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';

function addSampling(body: AnthropicBody, r: Record<string, unknown>): void {
  if (typeof r.temperature === 'number' && r.temperature <= MAX_TEMPERATURE) body.temperature = r.temperature;
  if (typeof r.top_p === 'number') body.top_p = r.top_p;
  if (typeof r.top_k === 'number') body.top_k = r.top_k;
}

/** Text content as text blocks; empty text is dropped (Anthropic refuses empty text blocks). */
function textBlocks(content: ChatMessage['content']): TextBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return (content as Part[]).flatMap((p) => (p.type === 'text' && typeof p.text === 'string' && p.text !== '' ? [{ type: 'text' as const, text: p.text, ...cacheControl(p) }] : []));
}

/** User content: text and images, in order; other part types are not sent (reported by `unsupportedFields`). */
function userBlocks(content: ChatMessage['content']): ContentBlockParam[] {
  if (!Array.isArray(content)) return textBlocks(content);
  return (content as Part[]).flatMap((p): ContentBlockParam[] => {
    if (p.type === 'text') return textBlocks([p] as ChatMessage['content']);
    const image = p.type === 'image_url' ? imageBlock(p.image_url) : undefined;
    return image ? [image] : [];
  });
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,/i;

/** `data:` URLs become base64 sources, http(s) URLs url sources; anything else is not an image Anthropic can fetch. */
export function imageBlock(imageUrl: Part['image_url']): ImageBlockParam | undefined {
  const url = typeof imageUrl === 'string' ? imageUrl : imageUrl?.url;
  if (typeof url !== 'string') return undefined;
  const data = DATA_URL.exec(url);
  if (data) {
    // Anthropic takes image/jpeg, png, gif, webp; `image/jpg` is a common misspelling of the first.
    const mediaType = data[1]!.toLowerCase().replace(/^image\/jpg$/, 'image/jpeg') as 'image/png';
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: url.slice(data[0].length) } };
  }
  return /^https?:\/\//i.test(url) ? { type: 'image', source: { type: 'url', url } } : undefined;
}

function toTurn(m: ChatMessage): MessageParam {
  const x = m as Record<string, unknown>;
  if (m.role === 'tool') {
    const content = typeof m.content === 'string' ? m.content : textBlocks(m.content);
    return { role: 'user', content: [{ type: 'tool_result', tool_use_id: String(x.tool_call_id ?? ''), content }] };
  }
  if (m.role === 'assistant') {
    const calls = Array.isArray(x.tool_calls) ? (x.tool_calls as OpenAIToolCall[]) : [];
    return { role: 'assistant', content: [...textBlocks(m.content), ...calls.map(toolUse)] };
  }
  return { role: 'user', content: userBlocks(m.content) };
}

function toolUse(c: OpenAIToolCall): ContentBlockParam {
  return { type: 'tool_use', id: c.id ?? '', name: c.function?.name ?? '', input: toolInput(c.function?.arguments) };
}

/** A tool call's arguments as the object Anthropic wants; anything but a JSON object is sent as `{}` (and reported). */
export function toolInput(args: unknown): Record<string, unknown> {
  return argumentsObject(args) ?? {};
}

/** The arguments parsed, when they are a JSON object (an absent or blank string counts as `{}`). */
export function argumentsObject(args: unknown): Record<string, unknown> | undefined {
  if (args === undefined || (typeof args === 'string' && args.trim() === '')) return {};
  if (typeof args !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Anthropic wants alternating turns: consecutive same-role messages (several tool results, a tool
 * result then the user's next words) become one turn, blocks in order. Empty turns are dropped.
 */
function mergeTurns(turns: MessageParam[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const t of turns) {
    const blocks = t.content as ContentBlockParam[];
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    if (last && last.role === t.role) (last.content as ContentBlockParam[]).push(...blocks);
    else out.push({ role: t.role, content: [...blocks] } as MessageParam);
  }
  return out;
}

/** OpenAI function tools → Anthropic tools; a missing `parameters` is an empty object schema. */
function functionTools(tools: unknown): Tool[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((t: { type?: string; cache_control?: unknown; function?: { name?: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean } }) => {
    const f = t?.type === 'function' ? t.function : undefined;
    if (!f?.name) return [];
    const tool: Tool = { name: f.name, input_schema: (f.parameters ?? { type: 'object', properties: {} }) as Tool.InputSchema, ...cacheControl(t) };
    if (f.description) tool.description = f.description;
    if (typeof f.strict === 'boolean') tool.strict = f.strict;
    return [tool];
  });
}

/** auto / none / required → any / a named function → tool; `parallel_tool_calls: false` → disable_parallel_tool_use. */
export function toolChoice(choice: unknown, parallel: unknown): ToolChoice | undefined {
  const serial = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...serial };
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  if (typeof name === 'string') return { type: 'tool', name, ...serial };
  if (choice === 'auto' || parallel === false) return { type: 'auto', ...serial };
  return undefined;
}

/** `response_format: json_schema` → Anthropic structured outputs (`output_config.format`). */
function jsonSchemaOf(format: unknown): Record<string, unknown> | undefined {
  const f = format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (f?.type !== 'json_schema') return undefined;
  const schema = f.json_schema?.schema;
  return typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : undefined;
}
