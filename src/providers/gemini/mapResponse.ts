import type { Candidate, GenerateContentResponse, GenerateContentResponseUsageMetadata, Part } from '@google/genai';
import type { ChatCompletion, Usage } from '../../config/api';
import type { ChatChunk, ToolCallDelta } from '../../streaming/chunks';
import { UpstreamError } from '../upstreamError';

/**
 * Gemini `GenerateContentResponse` → OpenAI `chat.completion` (whole) or `chat.completion.chunk`s
 * (streamed). Pure. Gemini sends function calls whole (never in pieces) and often without ids: ids
 * `call_<n>` are made up, stable within the answer.
 */
type Shape = Pick<GenerateContentResponse, 'candidates' | 'promptFeedback' | 'usageMetadata' | 'responseId' | 'modelVersion' | 'createTime'>;

interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

/** Gemini's finish reason as OpenAI's; `calledTools`: the answer holds a function call. */
export function finishReason(reason: string, calledTools: boolean): string {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/** Input includes cached and tool-use prompt tokens; thinking counts as output (it is billed so). */
export function toUsage(u: GenerateContentResponseUsageMetadata | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  const completion = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    ...(u.cachedContentTokenCount ? { prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount } } : {}),
    ...(u.thoughtsTokenCount ? { completion_tokens_details: { reasoning_tokens: u.thoughtsTokenCount } } : {}),
  };
}

/** A prompt Gemini refused outright (no candidates): the content filter's 400, never retried. */
export function blockedPrompt(r: Shape): UpstreamError | undefined {
  const reason = r.promptFeedback?.blockReason;
  if (!reason || (r.candidates?.length ?? 0) > 0) return undefined;
  const why = r.promptFeedback?.blockReasonMessage ? `: ${r.promptFeedback.blockReasonMessage}` : '';
  return new UpstreamError('http', `Gemini blocked the prompt (${reason})${why}`, 400, 'content_filter');
}

const answerText = (parts: Part[]) => parts.filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join('');

function toolCall(p: Part, n: number): OpenAIToolCall {
  const call = p.functionCall!;
  return {
    id: call.id || `call_${n}`,
    type: 'function',
    function: { name: call.name ?? '', arguments: JSON.stringify(call.args ?? {}) },
    // Gemini wants a function call's thought signature back in the next turn (Google's OpenAI-compatible field).
    ...(p.thoughtSignature ? { extra_content: { google: { thought_signature: p.thoughtSignature } } } : {}),
  };
}

export function fromGeminiResponse(r: Shape, upstreamModel: string, now = Date.now()): ChatCompletion {
  const blocked = blockedPrompt(r);
  if (blocked) throw blocked;
  const candidates = r.candidates ?? [];
  if (candidates.length === 0) throw new UpstreamError('malformed', 'Gemini answered without candidates');
  const choices = candidates.map((c, i) => choice(c, i));
  const usage = toUsage(r.usageMetadata);
  return { id: r.responseId ?? `gemini-${now}`, object: 'chat.completion', created: created(r, now), model: r.modelVersion ?? upstreamModel, choices, ...(usage ? { usage } : {}) };
}

function choice(c: Candidate, i: number) {
  const parts = c.content?.parts ?? [];
  const calls = parts.filter((p) => p.functionCall).map((p, n) => toolCall(p, n));
  const text = answerText(parts);
  const message = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
  return { index: c.index ?? i, message, logprobs: null, finish_reason: finishReason(c.finishReason ?? 'STOP', calls.length > 0) };
}

const created = (r: Shape, now: number) => Math.floor((r.createTime ? Date.parse(r.createTime) || now : now) / 1000);

/**
 * A Gemini stream's responses → OpenAI chunks. Keeps what spans chunks: the tool-call counter per
 * candidate (for indexes and ids), whether a candidate called a tool (its finish is `tool_calls`),
 * and which candidates already had their role chunk.
 */
export class GeminiChunkMapper {
  private readonly calls = new Map<number, number>();
  private readonly started = new Set<number>();
  private id?: string;
  private readonly created: number;

  constructor(
    private readonly upstreamModel: string,
    now = Date.now(),
  ) {
    this.created = Math.floor(now / 1000);
  }

  /** The chunk for one streamed response (throws for a blocked prompt); usage rides on the chunk that finishes. */
  map(r: Shape): ChatChunk {
    const blocked = blockedPrompt(r);
    if (blocked) throw blocked;
    this.id ??= r.responseId ?? `gemini-${this.created}`;
    const choices = (r.candidates ?? []).map((c, i) => this.delta(c, c.index ?? i));
    const finished = (r.candidates ?? []).some((c) => c.finishReason);
    const usage = finished || choices.length === 0 ? toUsage(r.usageMetadata) : undefined;
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: r.modelVersion ?? this.upstreamModel, choices, ...(usage ? { usage } : {}) };
  }

  private delta(c: Candidate, index: number) {
    const parts = c.content?.parts ?? [];
    const first = !this.started.has(index);
    this.started.add(index);
    const toolCalls: ToolCallDelta[] = [];
    for (const p of parts.filter((x) => x.functionCall)) {
      const n = this.calls.get(index) ?? 0;
      this.calls.set(index, n + 1);
      toolCalls.push({ index: n, ...toolCall(p, n) });
    }
    const text = answerText(parts);
    const delta = { ...(first ? { role: 'assistant' } : {}), ...(text !== '' ? { content: text } : {}), ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
    const finish = c.finishReason ? finishReason(c.finishReason, this.calls.has(index)) : null;
    return { index, delta, logprobs: null, finish_reason: finish };
  }
}
