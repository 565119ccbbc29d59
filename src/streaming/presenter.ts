import type { GatewayError } from '../errors';
import type { GatewayResponse } from '../temporal/contract';
import { completionToChunks, toCallerChunk, type ChatChunk } from './chunks';

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
  /** A live chunk of the committed attempt (`model`: the gateway model answering). */
  chunk(chunk: ChatChunk, model: string): SseEvent[];
  /** The workflow answered: the closing events, after the whole answer when nothing went live (`replay`). */
  finish(result: GatewayResponse, replay: boolean): SseEvent[];
  /** The stream cannot be whole: the one error event, after which the stream ends without its end marker. */
  error(err: GatewayError): SseEvent;
}

/** OpenAI's chat completion stream: chunks as data lines, `[DONE]` last; usage only when asked for. */
export class OpenAIChunkPresenter implements StreamPresenter {
  constructor(private readonly includeUsage: boolean) {}

  chunk(chunk: ChatChunk, model: string): SseEvent[] {
    const out = toCallerChunk(chunk, { model, includeUsage: this.includeUsage });
    return out ? [{ data: out }] : [];
  }

  finish(result: GatewayResponse, replay: boolean): SseEvent[] {
    // Live chunks already carried everything, usage included (the gateway always asks upstream for it).
    const whole = replay ? completionToChunks(result, { model: result.gatehouse.model, includeUsage: this.includeUsage }) : [];
    return [...whole.map((data) => ({ data })), { data: '[DONE]' }];
  }

  error(err: GatewayError): SseEvent {
    return { data: err.toBody() };
  }
}
