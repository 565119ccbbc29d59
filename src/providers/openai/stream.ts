import type OpenAI from 'openai';
import { ChatCompletionSchema, type ChatCompletion, type ChatCompletionRequest } from '../../config/api';
import { ChunkAssembler } from '../../streaming/assemble';
import { isChatChunk, type ChatChunk } from '../../streaming/chunks';
import { endBrokenStream } from '../brokenStream';
import { AttemptWatchdog } from '../deadlines';
import type { StreamCallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapOpenAIError } from './mapError';
import { toUpstreamRequest } from './mapRequest';
import { readEventStream, type SseEvent } from '../sse';

/**
 * One streamed chat completion from an OpenAI-compatible API. The SDK sends the request (and maps
 * HTTP errors); the body is read here, because the gateway must see every read (idle deadline),
 * whether `[DONE]` came, and which chunk was garbage. Each chunk goes to `onChunk` as it arrives;
 * the assembled answer is returned. Throws only `UpstreamError`, or the caller's own abort.
 */
export async function streamCompletion(
  client: OpenAI,
  upstreamModel: string,
  req: ChatCompletionRequest,
  opts: StreamCallOptions,
  mapError: (err: unknown) => unknown = mapOpenAIError,
  notSent?: readonly string[],
): Promise<ChatCompletion> {
  const watchdog = new AttemptWatchdog(opts.deadlines, opts.signal, true);
  const answer = new ChunkAssembler();
  try {
    const body = { ...toUpstreamRequest(upstreamModel, req, notSent), stream: true, stream_options: { include_usage: true } };
    const response = await client.chat.completions
      .create(body as never, { signal: watchdog.signal, timeout: opts.deadlines.totalMs + 1000 })
      .asResponse();
    watchdog.headersReceived();
    if (!isEventStream(response)) return await wholeBody(response);
    await readStream(response, watchdog, answer, opts);
    return answer.completion();
  } catch (err) {
    return endBrokenStream(err, opts.signal, watchdog, answer, mapError);
  } finally {
    watchdog.stop();
  }
}

async function readStream(response: Response, watchdog: AttemptWatchdog, answer: ChunkAssembler, opts: StreamCallOptions): Promise<void> {
  if (!response.body) throw new UpstreamError('malformed', 'provider sent an empty stream');
  let skipped = 0;
  // `[DONE]`, or a whole answer with usage: complete, even if the provider never closes.
  const take = (events: SseEvent[]) =>
    events.some((e) => {
      const verdict = takeEvent(e, watchdog, answer, opts);
      if (verdict === 'skipped') skipped++;
      return verdict === 'complete';
    });
  const complete = await readEventStream(response.body, take, () => `after ${answer.chunks} chunks`);
  // Garbage only (every chunk skipped): nothing to answer with, fail over as before skipping existed.
  if (answer.chunks === 0 && skipped > 0) throw new UpstreamError('malformed', `provider sent only malformed stream chunks (${skipped})`);
  if (!complete && !answer.finished) throw new UpstreamError('connection', `stream ended mid-answer after ${answer.chunks} chunks (no finish_reason)`);
}

/** `complete`: `[DONE]`, or finished with usage; `skipped`: a malformed chunk the route lets pass. */
function takeEvent(e: SseEvent, watchdog: AttemptWatchdog, answer: ChunkAssembler, opts: StreamCallOptions): 'complete' | 'skipped' | 'more' {
  if (e.data.trim() === '[DONE]') return 'complete';
  watchdog.chunkReceived();
  let chunk: ChatChunk;
  try {
    chunk = parseChunk(e.data, answer.chunks);
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'malformed' && opts.skipMalformed?.(err.message)) return 'skipped';
    throw err;
  }
  if (isAnnotationOnly(chunk)) return 'more';
  answer.add(chunk);
  opts.onChunk(chunk);
  return answer.finished && answer.usage !== undefined ? 'complete' : 'more';
}

function parseChunk(data: string, seen: number): ChatChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new UpstreamError('malformed', `provider sent a malformed stream chunk after ${seen} chunks`);
  }
  const error = (value as { error?: { message?: unknown; code?: unknown } } | null)?.error;
  if (error) {
    const message = typeof error.message === 'string' ? error.message : 'provider reported an error mid-stream';
    throw new UpstreamError('http', message, 500, typeof error.code === 'string' ? error.code : undefined);
  }
  if (!isChatChunk(value)) throw new UpstreamError('malformed', `provider sent a stream chunk that is not a chat.completion.chunk after ${seen} chunks`);
  return value;
}

/**
 * Azure's content-filter annotations (`prompt_filter_results` with no choices, or a choice with only
 * `content_filter_results`; `id`, `model` and `object` empty): no text, finish or usage for the
 * caller or the ledger, and their empty id and model must not become the answer's.
 */
function isAnnotationOnly(chunk: ChatChunk): boolean {
  if (chunk.usage) return false;
  return chunk.choices.every((c) => c.delta === undefined && !c.finish_reason);
}

function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').includes('text/event-stream');
}

/** An upstream that ignored `stream: true` and answered whole: accept a valid completion. */
async function wholeBody(response: Response): Promise<ChatCompletion> {
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new UpstreamError('malformed', 'provider sent a malformed body instead of a stream');
  }
  const parsed = ChatCompletionSchema.safeParse(raw);
  if (!parsed.success) throw new UpstreamError('malformed', 'provider answer is not a chat completion');
  return parsed.data;
}
