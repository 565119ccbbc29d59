import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { ChatCompletion, ChatCompletionRequest } from '../../config/api';
import { ChunkAssembler } from '../../streaming/assemble';
import { endBrokenStream } from '../brokenStream';
import { AttemptWatchdog } from '../deadlines';
import type { StreamCallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import type { BedrockClient } from './client';
import { mapBedrockError } from './mapError';
import { toConverse } from './mapRequest';
import { StreamMapper } from './mapResponse';

/**
 * One ConverseStream call. The SDK signs, sends and decodes AWS's binary event-stream framing;
 * each event becomes an OpenAI chunk for `onChunk` and the assembler. Deadlines as the OpenAI adapter:
 * the response headers, then the first event, then every silence between events. Throws only
 * `UpstreamError`, or the caller's own abort.
 */
export async function streamConverse(client: BedrockClient, upstreamModel: string, req: ChatCompletionRequest, opts: StreamCallOptions): Promise<ChatCompletion> {
  const watchdog = new AttemptWatchdog(opts.deadlines, opts.signal, true);
  const answer = new ChunkAssembler();
  try {
    const sdk = await client.sdk();
    const command = new sdk.ConverseStreamCommand({ modelId: upstreamModel, ...toConverse(req) });
    const response = await (await client.client()).send(command, { abortSignal: watchdog.signal });
    watchdog.headersReceived();
    if (!response.stream) throw new UpstreamError('malformed', 'Bedrock sent no event stream');
    const mapper = new StreamMapper({ id: `chatcmpl-bedrock-${response.$metadata.requestId ?? Date.now()}`, model: upstreamModel, created: Math.floor(Date.now() / 1000) });
    await readEvents(response.stream, mapper, watchdog, answer, opts.onChunk);
    return answer.completion();
  } catch (err) {
    return endBrokenStream(err, opts.signal, watchdog, answer, mapBedrockError);
  } finally {
    watchdog.stop();
  }
}

async function readEvents(
  events: AsyncIterable<ConverseStreamOutput>,
  mapper: StreamMapper,
  watchdog: AttemptWatchdog,
  answer: ChunkAssembler,
  onChunk: StreamCallOptions['onChunk'],
): Promise<void> {
  for await (const event of events) {
    watchdog.chunkReceived();
    const chunk = mapper.chunk(event);
    if (chunk) {
      answer.add(chunk);
      onChunk(chunk);
    }
    // The usage (metadata) comes after messageStop: with both, the answer is whole.
    if (answer.finished && answer.usage !== undefined) return;
  }
  if (!answer.finished) throw new UpstreamError('connection', `stream ended mid-answer after ${answer.chunks} chunks (no stopReason)`);
}
