import type { ChatChunk, ChunkDelta } from '../../streaming/chunks';
import { finishReason, toOpenAIUsage, type AnthropicUsage } from './mapResponse';

/**
 * Anthropic's stream events → OpenAI `chat.completion.chunk`s. Pure: one event in, its chunks out.
 *
 * message_start → a role chunk (and the input usage, kept); content_block_start of a tool_use → the
 * tool call's index, id and name; text_delta → content; input_json_delta → argument fragments
 * (`{}` at content_block_stop for a call that got none);
 * message_delta → the finish chunk, then the usage chunk (its counts are final, so an answer whose
 * message_stop never comes is still whole); message_stop → done. Thinking, citations, signatures
 * and event types added later carry nothing an OpenAI caller can read: skipped.
 */
export interface AnthropicStreamEvent {
  type: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
}

export class AnthropicChunker {
  private id = 'msg-stream';
  private model = 'unknown';
  private readonly created: number;
  private usage: AnthropicUsage = {};
  /** Anthropic content block index → OpenAI tool call index (tool calls count from 0). */
  private readonly toolIndex = new Map<number, number>();
  /** Tool calls that got argument fragments (one that got none ends with `{}`, as non-streamed). */
  private readonly withArguments = new Set<number>();
  /** message_stop arrived: the stream said everything. */
  done = false;

  constructor(now = Date.now()) {
    this.created = Math.floor(now / 1000);
  }

  take(e: AnthropicStreamEvent): ChatChunk[] {
    switch (e.type) {
      case 'message_start':
        this.id = e.message?.id ?? this.id;
        this.model = e.message?.model ?? this.model;
        this.addUsage(e.message?.usage);
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'content_block_start':
        return this.blockStart(e.index ?? 0, e.content_block ?? {});
      case 'content_block_delta':
        return this.blockDelta(e.index ?? 0, e.delta ?? {});
      case 'message_delta':
        this.addUsage(e.usage);
        return [this.chunk({}, finishReason(e.delta?.stop_reason) ?? 'stop'), { ...this.base(), choices: [], usage: toOpenAIUsage(this.usage) }];
      case 'content_block_stop':
        return this.blockStop(e.index ?? 0);
      case 'message_stop':
        this.done = true;
        return [];
      default:
        return []; // ping, and anything newer
    }
  }

  private blockStart(index: number, block: NonNullable<AnthropicStreamEvent['content_block']>): ChatChunk[] {
    if (block.type === 'text') return block.text ? [this.chunk({ content: block.text })] : [];
    if (block.type !== 'tool_use') return [];
    const call = this.toolIndex.size;
    this.toolIndex.set(index, call);
    return [this.chunk({ tool_calls: [{ index: call, id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: '' } }] })];
  }

  private blockDelta(index: number, delta: NonNullable<AnthropicStreamEvent['delta']>): ChatChunk[] {
    if (delta.type === 'text_delta' && delta.text) return [this.chunk({ content: delta.text })];
    const call = this.toolIndex.get(index);
    if (delta.type === 'input_json_delta' && delta.partial_json && call !== undefined) {
      this.withArguments.add(call);
      return [this.chunk({ tool_calls: [{ index: call, function: { arguments: delta.partial_json } }] })];
    }
    return [];
  }

  private blockStop(index: number): ChatChunk[] {
    const call = this.toolIndex.get(index);
    if (call === undefined || this.withArguments.has(call)) return [];
    return [this.chunk({ tool_calls: [{ index: call, function: { arguments: '{}' } }] })];
  }

  /** Later counts win; a count the event leaves out (or sends as null) keeps its earlier value. */
  private addUsage(u: AnthropicUsage | undefined): void {
    for (const [k, v] of Object.entries(u ?? {})) if (typeof v === 'number') (this.usage as Record<string, number>)[k] = v;
  }

  private base() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private chunk(delta: ChunkDelta, finish: string | null = null): ChatChunk {
    return { ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
  }
}
