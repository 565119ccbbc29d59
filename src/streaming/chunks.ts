import type { ChatCompletion, Usage } from '../config/api';

/**
 * OpenAI `chat.completion.chunk` shapes, and the pure functions between chunks and whole answers:
 * checking a parsed chunk, presenting it to the caller, and replaying a finished answer as chunks.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
}

export interface ChunkChoice {
  index: number;
  delta?: ChunkDelta;
  finish_reason?: string | null;
  logprobs?: unknown;
}

export interface ChatChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  choices: ChunkChoice[];
  usage?: Usage | null;
}

/** A parsed data line is a chunk when it has a `choices` array of indexed objects; anything else is garbage. */
export function isChatChunk(value: unknown): value is ChatChunk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const choices = (value as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return false;
  return choices.every((c) => typeof c === 'object' && c !== null && Number.isInteger((c as { index?: unknown }).index));
}

/**
 * Does this chunk show the caller anything? A leading role-only chunk does not, so it can be held
 * back: until something meaningful is released, a failed attempt can still fail over unseen.
 */
export function isMeaningful(chunk: ChatChunk): boolean {
  return chunk.choices.some((c) => {
    const d = c.delta;
    return Boolean(d?.content) || Boolean(d?.refusal) || (d?.tool_calls?.length ?? 0) > 0 || Boolean(c.finish_reason);
  });
}

export interface Presentation {
  /** The gateway's model name, as in non-streamed answers. */
  model: string;
  /** The caller's `stream_options.include_usage`. */
  includeUsage: boolean;
}

/**
 * The chunk as the caller sees it: `model` is the gateway model that answers, and usage appears only
 * when the caller asked for it (the gateway always asks upstream, for the ledger). Undefined: drop it.
 */
export function toCallerChunk(chunk: ChatChunk, p: Presentation): ChatChunk | undefined {
  const out: ChatChunk = { ...chunk, model: p.model };
  if (p.includeUsage) return out;
  delete out.usage;
  return out.choices.length === 0 ? undefined : out;
}

/**
 * A finished answer replayed as chunks: for a caller whose live chunks could not be forwarded (the
 * provider call ran in another process, or an idempotent repeat joined a finished request).
 */
export function completionToChunks(c: ChatCompletion, p: Presentation): ChatChunk[] {
  const base = { id: c.id, object: 'chat.completion.chunk', created: c.created ?? Math.floor(Date.now() / 1000), model: p.model };
  const usageField = p.includeUsage ? { usage: null } : {};
  const chunks: ChatChunk[] = c.choices.map((choice) => {
    const m = choice.message as { role: string; content?: string | null; refusal?: string | null; tool_calls?: Array<Record<string, unknown>> };
    const delta: ChunkDelta = { role: m.role, content: m.content ?? null };
    if (m.refusal) delta.refusal = m.refusal;
    if (m.tool_calls) delta.tool_calls = m.tool_calls.map((t, index) => ({ index, ...t }) as ToolCallDelta);
    return { ...base, choices: [{ index: choice.index, delta, logprobs: null, finish_reason: null }], ...usageField };
  });
  chunks.push({ ...base, choices: c.choices.map((x) => ({ index: x.index, delta: {}, logprobs: null, finish_reason: x.finish_reason ?? 'stop' })), ...usageField });
  if (p.includeUsage && c.usage) chunks.push({ ...base, choices: [], usage: c.usage });
  return chunks;
}
