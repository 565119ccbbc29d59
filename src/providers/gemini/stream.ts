import type { GenerateContentParameters, GenerateContentResponse, GoogleGenAI } from '@google/genai';
import type { ChatCompletion } from '../../config/api';
import { ChunkAssembler } from '../../streaming/assemble';
import { AttemptWatchdog } from '../deadlines';
import type { StreamCallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapGeminiError } from './mapError';
import { GeminiChunkMapper } from './mapResponse';

/**
 * One streamed Gemini answer (`:streamGenerateContent?alt=sse`). The SDK's promise settles when the
 * response headers came (an HTTP error throws there); each response it yields is one read for the
 * idle deadline. The watchdog's signal goes to the SDK as `config.abortSignal`, which the SDK hands
 * to `fetch`, so a passed deadline really stops the upstream request. Gemini sends no end marker:
 * the stream is whole when every candidate has its finishReason. Each chunk goes to `onChunk` as it
 * arrives; the assembled answer is returned. Throws only `UpstreamError`, or the caller's own abort.
 */
export async function streamGemini(client: GoogleGenAI, params: GenerateContentParameters, opts: StreamCallOptions): Promise<ChatCompletion> {
  const watchdog = new AttemptWatchdog(opts.deadlines, opts.signal, true);
  const answer = new ChunkAssembler();
  const mapper = new GeminiChunkMapper(params.model);
  try {
    const stream = await client.models.generateContentStream({ ...params, config: { ...params.config, abortSignal: watchdog.signal } });
    watchdog.headersReceived();
    await read(stream, watchdog, answer, mapper, opts);
    if (!answer.finished) throw new UpstreamError('connection', `stream ended mid-answer after ${answer.chunks} chunks (no finishReason)`);
    return answer.completion();
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason ?? err; // cancelled: not a provider fault
    // A provider that said everything and then merely failed to close is not at fault.
    if (watchdog.expired === 'idle' && answer.finished) return answer.completion();
    if (watchdog.expired) throw watchdog.error();
    throw mapGeminiError(err);
  } finally {
    watchdog.stop();
  }
}

async function read(
  stream: AsyncGenerator<GenerateContentResponse>,
  watchdog: AttemptWatchdog,
  answer: ChunkAssembler,
  mapper: GeminiChunkMapper,
  opts: StreamCallOptions,
): Promise<void> {
  for await (const response of stream) {
    watchdog.chunkReceived();
    if (typeof response !== 'object' || response === null) throw new UpstreamError('malformed', `Gemini sent a stream chunk that is not a response after ${answer.chunks} chunks`);
    const chunk = mapper.map(response);
    answer.add(chunk);
    opts.onChunk(chunk);
  }
}
