import OpenAI from 'openai';
import { ChatCompletionSchema, type ChatCompletion, type ChatCompletionRequest } from '../../config/api';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions, ChatProvider, OutputCapField } from '../types';
import { UpstreamError } from '../upstreamError';
import { embedWith } from './embed';
import { mapOpenAIError } from './mapError';
import { NOT_SENT_TO_COMPATIBLE, notSentFields, toUpstreamRequest } from './mapRequest';
import { streamCompletion } from './stream';

/**
 * How an adapter reaches an API that speaks OpenAI's wire format through the `openai` package: the
 * client for this call (OpenAI's, or its `AzureOpenAI` subclass) and how that vendor's errors map.
 * `client()` may throw an `UpstreamError` (no key configured): before any request is sent.
 */
export interface OpenAIWire {
  client(): OpenAI;
  mapError(err: unknown): unknown;
  /** Request fields this API refuses (src/providers/openai/mapRequest.ts): left out and reported. */
  notSent?: readonly string[];
}

/**
 * Any OpenAI-compatible chat completions API. `maxRetries: 0`: Temporal is the only thing that
 * retries, so every attempt shows in the workflow history.
 */
export function createOpenAIProvider(
  baseURL: string,
  apiKey: string | (() => string),
  outputCapField: OutputCapField = 'max_tokens',
  notSent: readonly string[] = NOT_SENT_TO_COMPATIBLE,
): ChatProvider {
  const key = typeof apiKey === 'string' ? () => apiKey : apiKey;
  // The SDK asks for the key before every request: a key that changed is used from the next call on.
  const client = new OpenAI({ baseURL, apiKey: async () => key(), maxRetries: 0 });
  const wire: OpenAIWire = {
    client() {
      key(); // no key: the provider's 401 (UpstreamError) here, before the SDK would wrap it
      return client;
    },
    mapError: mapOpenAIError,
    notSent,
  };
  return { ...openAIWireProvider(wire), outputCapField };
}

/** complete, stream and embed over OpenAI's wire format; shared by the OpenAI and Azure OpenAI kinds. */
export function openAIWireProvider(wire: OpenAIWire): ChatProvider {
  return {
    // async: a missing key (thrown by client()) rejects the call rather than throwing synchronously.
    complete: async (upstreamModel, req, opts) => completeWith(wire, upstreamModel, req, opts),
    stream: async (upstreamModel, req, opts) => streamCompletion(wire.client(), upstreamModel, req, opts, wire.mapError, wire.notSent),
    embed: async (upstreamModel, req, opts) => embedWith(wire.client(), upstreamModel, req, opts, wire.mapError),
    unsupported: (req) => notSentFields(req, wire.notSent),
  };
}

async function completeWith(wire: OpenAIWire, upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion> {
  const client = wire.client();
  // The SDK's own timeout stops at the response headers; the watchdog also covers the body.
  const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
  let raw: unknown;
  try {
    raw = await client.chat.completions.create(toUpstreamRequest(upstreamModel, req, wire.notSent) as never, {
      signal: watchdog.signal,
      timeout: opts.timeoutMs,
    });
  } catch (err) {
    if (watchdog.expired) throw watchdog.error();
    throw wire.mapError(err);
  } finally {
    watchdog.stop();
  }
  const parsed = ChatCompletionSchema.safeParse(raw);
  if (!parsed.success) throw new UpstreamError('malformed', 'provider answer is not a chat completion');
  return withContentField(parsed.data);
}

/** OpenAI's message always has `content` (null when empty); Azure leaves it out of a filtered answer. */
function withContentField(answer: ChatCompletion): ChatCompletion {
  for (const c of answer.choices) if (c.message.content === undefined) c.message.content = null;
  return answer;
}
