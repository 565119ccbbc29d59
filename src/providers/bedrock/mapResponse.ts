import type { ContentBlock, ConverseStreamOutput, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import type { ChatCompletion, Usage } from '../../config/api';
import type { ChatChunk, ChunkDelta } from '../../streaming/chunks';
import { UpstreamError } from '../upstreamError';

/** What the adapter needs of a Converse answer (the SDK's output, or plain data in tests). */
export interface ConverseAnswer {
  output?: { message?: { role?: string; content?: ContentBlock[] } };
  stopReason?: string;
  usage?: TokenUsage;
}

/** Identity of the answer: Converse has no completion id, so the AWS request id stands in. */
export interface AnswerMeta {
  id: string;
  model: string;
  created: number;
}

/**
 * Converse stop reasons → OpenAI finish reasons. The two `malformed_*` reasons are the model's own
 * broken output: a malformed answer (retried), never passed on as if it were whole.
 */
export function finishReason(stopReason: string | undefined): string {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    case 'malformed_model_output':
    case 'malformed_tool_use':
      throw new UpstreamError('malformed', `Bedrock stopped with ${stopReason}`);
    default:
      if (stopReason === undefined) throw new UpstreamError('malformed', 'Bedrock answer has no stopReason');
      return 'stop'; // a reason newer than this adapter: the answer itself is whole
  }
}

/**
 * Converse usage → OpenAI's. Bedrock's `inputTokens` excludes the cache: the prompt is all three;
 * cache reads are `cached_tokens`, cache writes kept as `cache_creation_input_tokens`.
 */
export function toUsage(u: TokenUsage | undefined): Usage | undefined {
  if (!u || typeof u.inputTokens !== 'number' || typeof u.outputTokens !== 'number') return undefined;
  const read = u.cacheReadInputTokens ?? 0;
  const write = u.cacheWriteInputTokens ?? 0;
  const prompt = u.inputTokens + read + write;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: u.outputTokens, total_tokens: prompt + u.outputTokens };
  if (read > 0 || write > 0) usage.prompt_tokens_details = { cached_tokens: read };
  if (write > 0) usage.cache_creation_input_tokens = write;
  return usage;
}

/** A Converse answer as an OpenAI chat completion. Pure. */
export function fromConverse(answer: ConverseAnswer, meta: AnswerMeta): ChatCompletion {
  const blocks = answer.output?.message?.content;
  if (!Array.isArray(blocks)) throw new UpstreamError('malformed', 'Bedrock answer has no output message');
  const text = blocks.filter((b) => typeof b.text === 'string').map((b) => b.text).join('');
  const calls = blocks.filter((b) => b.toolUse).map((b) => ({ id: b.toolUse!.toolUseId ?? '', type: 'function', function: { name: b.toolUse!.name ?? '', arguments: JSON.stringify(b.toolUse!.input ?? {}) } }));
  const message: Record<string, unknown> = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  const usage = toUsage(answer.usage);
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: message as ChatCompletion['choices'][number]['message'], finish_reason: finishReason(answer.stopReason), logprobs: null }],
    ...(usage ? { usage } : {}),
  };
}

/**
 * Turns ConverseStream events into OpenAI chunks. Converse numbers content blocks (text and tool
 * calls alike); OpenAI numbers tool calls only, so each toolUse block gets the next tool index.
 */
export class StreamMapper {
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly meta: AnswerMeta) {}

  /** The chunk for one event, or undefined when it carries nothing OpenAI shows (block stop, reasoning). */
  chunk(event: ConverseStreamOutput): ChatChunk | undefined {
    if (event.messageStart) return this.delta({ role: 'assistant', content: '' });
    if (event.contentBlockStart?.start?.toolUse) {
      const { toolUseId, name } = event.contentBlockStart.start.toolUse;
      const index = this.toolIndex.size;
      this.toolIndex.set(event.contentBlockStart.contentBlockIndex ?? index, index);
      return this.delta({ tool_calls: [{ index, id: toolUseId ?? '', type: 'function', function: { name: name ?? '', arguments: '' } }] });
    }
    const delta = event.contentBlockDelta?.delta;
    if (typeof delta?.text === 'string') return this.delta({ content: delta.text });
    if (delta?.toolUse) {
      const index = this.toolIndex.get(event.contentBlockDelta!.contentBlockIndex ?? -1);
      if (index === undefined) throw new UpstreamError('malformed', 'Bedrock streamed tool input for a block it never started');
      return this.delta({ tool_calls: [{ index, function: { arguments: delta.toolUse.input ?? '' } }] });
    }
    if (event.messageStop) return { ...this.base(), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(event.messageStop.stopReason) }] };
    if (event.metadata) {
      const usage = toUsage(event.metadata.usage);
      return usage ? { ...this.base(), choices: [], usage } : undefined;
    }
    const exception = streamException(event);
    if (exception) throw exception;
    return undefined;
  }

  private delta(delta: ChunkDelta): ChatChunk {
    return { ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
  }

  private base() {
    return { id: this.meta.id, object: 'chat.completion.chunk', created: this.meta.created, model: this.meta.model };
  }
}

const STREAM_EXCEPTIONS = {
  internalServerException: 'InternalServerException',
  modelStreamErrorException: 'ModelStreamErrorException',
  serviceUnavailableException: 'ServiceUnavailableException',
  throttlingException: 'ThrottlingException',
  validationException: 'ValidationException',
} as const;

/** An exception delivered as a stream member (rather than thrown by the SDK): named like the thrown one. */
function streamException(event: ConverseStreamOutput): Error | undefined {
  for (const [member, name] of Object.entries(STREAM_EXCEPTIONS)) {
    const value = (event as unknown as Record<string, { message?: string } | undefined>)[member];
    if (value) return Object.assign(new Error(value.message ?? name), { name });
  }
  return undefined;
}
