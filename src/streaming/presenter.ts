import type { GatewayError } from '../errors';
import type { GatewayResponse } from '../temporal/contract';
import { completionToChunks, toCallerChunk, type ChatChunk, type ChunkDelta } from './chunks';

/** One server-sent event: an optional `event:` name and its data (a string is written as is, anything else as JSON). */
export interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * How one API format shows a streamed answer. The durable streaming path (subscription, ownership,
 * cancel on hang-up, rejoin replay, the interrupted-stream rule) is the same for every format and
 * lives in src/http/streamCompletion.ts; a presenter only turns the internal chunks (OpenAI
 * `chat.completion.chunk`) into that format's events. Pure, stateful per response.
 */
export interface StreamPresenter {
  /**
   * A live chunk of the committed attempt (`model`: the gateway model answering). `continued`: the
   * chunk belongs to a continuation of a broken attempt (src/streaming/continuation.ts): it carries
   * on the same message, which the caller must see as one.
   */
  chunk(chunk: ChatChunk, model: string, continued?: boolean): SseEvent[];
  /** The workflow answered: the closing events, after the whole answer when nothing went live (`replay`). */
  finish(result: GatewayResponse, replay: boolean): SseEvent[];
  /** The stream cannot be whole: the one error event, after which the stream ends without its end marker. */
  error(err: GatewayError): SseEvent;
}

/**
 * OpenAI's chat completion stream: chunks as data lines, `[DONE]` last; usage only when asked for.
 * A continuation's chunks keep the first chunk's id and model and drop their second `role`, and its
 * usage chunk is held: the usage sent at the end is the whole answer's (both tries), from the workflow.
 */
export class OpenAIChunkPresenter implements StreamPresenter {
  private first?: { id?: string; model: string };
  private continued = false;

  constructor(private readonly includeUsage: boolean) {}

  chunk(chunk: ChatChunk, model: string, continued = false): SseEvent[] {
    this.first ??= { id: chunk.id, model };
    if (continued) {
      this.continued = true;
      if (chunk.choices.length === 0) return []; // its usage: only part of the answer's
      chunk = { ...chunk, id: this.first.id, choices: chunk.choices.map(({ delta, ...c }) => ({ ...c, ...(delta ? { delta: withoutRole(delta) } : {}) })) };
      model = this.first.model;
    }
    const out = toCallerChunk(chunk, { model, includeUsage: this.includeUsage });
    return out ? [{ data: out }] : [];
  }

  finish(result: GatewayResponse, replay: boolean): SseEvent[] {
    // Live chunks already carried everything, usage included (the gateway always asks upstream for it).
    const whole = replay ? completionToChunks(result, { model: result.gatehouse.model, includeUsage: this.includeUsage }) : [];
    const usage = this.continued && this.includeUsage && result.usage ? [{ data: this.usageChunk(result) }] : [];
    return [...whole.map((data) => ({ data })), ...usage, { data: '[DONE]' }];
  }

  private usageChunk(result: GatewayResponse): ChatChunk {
    return { id: this.first?.id ?? result.id, object: 'chat.completion.chunk', created: result.created, model: this.first?.model ?? result.gatehouse.model, choices: [], usage: result.usage };
  }

  error(err: GatewayError): SseEvent {
    return { data: err.toBody() };
  }
}

function withoutRole(delta: ChunkDelta): ChunkDelta {
  const rest = { ...delta };
  delete rest.role;
  return rest;
}
