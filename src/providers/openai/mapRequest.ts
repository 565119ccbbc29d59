import type { ChatCompletionRequest } from '../../config/api';

/** Gateway-only fields that an upstream would reject or should never see. */
const GATEWAY_FIELDS = ['metadata', 'stream', 'stream_options'] as const;

/**
 * Request fields other APIs have (Anthropic's, carried in from `/v1/messages`) that OpenAI's API
 * refuses: never sent there, and reported (`notSentFields`). Compatible servers (vLLM, Ollama) take
 * `top_k`, so they drop only `thinking`. `cache_control` hints on parts and tools are dropped
 * everywhere: OpenAI-style APIs cache prompts by themselves.
 */
export const NOT_SENT_TO_OPENAI: readonly string[] = ['top_k', 'thinking'];
export const NOT_SENT_TO_COMPATIBLE: readonly string[] = ['thinking'];

export function toUpstreamRequest(upstreamModel: string, req: ChatCompletionRequest, notSent: readonly string[] = NOT_SENT_TO_OPENAI): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req, model: upstreamModel };
  for (const f of [...GATEWAY_FIELDS, ...notSent]) delete body[f];
  if (hasCacheControl(req)) {
    body.messages = req.messages.map((m) => (Array.isArray(m.content) ? { ...m, content: m.content.map(withoutCacheControl) } : m));
    if (Array.isArray(req.tools)) body.tools = req.tools.map(withoutCacheControl);
  }
  return body;
}

/** One sentence per field of `req` that `toUpstreamRequest` leaves out (ChatProvider.unsupported). */
export function notSentFields(req: ChatCompletionRequest, notSent: readonly string[] = NOT_SENT_TO_OPENAI): string[] {
  const out = notSent.filter((f) => req[f] !== undefined).map((f) => `${f}: not supported by the OpenAI API, not sent`);
  if (hasCacheControl(req)) out.push('cache_control: OpenAI-style APIs cache prompts by themselves; the hints were not sent');
  return out;
}

function hasCacheControl(req: ChatCompletionRequest): boolean {
  const parts = req.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
  const tools = Array.isArray(req.tools) ? (req.tools as unknown[]) : [];
  return [...parts, ...tools].some((p) => typeof p === 'object' && p !== null && 'cache_control' in p);
}

function withoutCacheControl<T>(p: T): T {
  if (typeof p !== 'object' || p === null || !('cache_control' in p)) return p;
  const rest = { ...(p as Record<string, unknown>) };
  delete rest.cache_control;
  return rest as T;
}
