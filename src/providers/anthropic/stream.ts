import type Anthropic from '@anthropic-ai/sdk';
import type { ChatCompletion } from '../../config/api';
import { ChunkAssembler } from '../../streaming/assemble';
import { endBrokenStream } from '../brokenStream';
import { AttemptWatchdog } from '../deadlines';
import type { StreamCallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapAnthropicError } from './mapError';
import type { AnthropicBody } from './mapRequest';
import { AnthropicChunker, type AnthropicStreamEvent } from './streamChunks';

/** Per-request options besides the signal and timeout (the key's headers). */
export type RequestHeaders = Record<string, string | null>;

/**
 * One streamed answer through the SDK's event iterator (it decodes the SSE, skips `ping`, and throws
 * an `error` event as an APIError with Anthropic's type). Each event resets the idle deadline; each
 * translated chunk goes to `onChunk` as it arrives; the assembled answer is returned. Throws only
 * `UpstreamError`, or the caller's own abort.
 */
export async function streamMessages(client: Anthropic, body: AnthropicBody, headers: RequestHeaders, opts: StreamCallOptions): Promise<ChatCompletion> {
  const watchdog = new AttemptWatchdog(opts.deadlines, opts.signal, true);
  const answer = new ChunkAssembler();
  const chunker = new AnthropicChunker();
  try {
    const { data: events } = await client.messages
      .create({ ...body, stream: true }, { signal: watchdog.signal, timeout: opts.deadlines.totalMs + 1000, headers })
      .withResponse();
    watchdog.headersReceived();
    for await (const event of events) {
      watchdog.chunkReceived();
      for (const chunk of chunker.take(event as AnthropicStreamEvent)) {
        answer.add(chunk);
        opts.onChunk(chunk);
      }
      if (chunker.done) break; // message_stop: complete, whether or not the connection closes
    }
    // The SDK ends its iteration quietly when the request is aborted: let the handler below say why.
    if (watchdog.signal.aborted) throw watchdog.signal.reason;
    if (!chunker.done && !answer.finished) throw new UpstreamError('connection', `stream ended mid-answer after ${answer.chunks} chunks (no message_stop)`);
    return answer.completion();
  } catch (err) {
    return endBrokenStream(err, opts.signal, watchdog, answer, mapAnthropicError);
  } finally {
    watchdog.stop();
  }
}
