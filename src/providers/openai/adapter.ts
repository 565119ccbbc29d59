import OpenAI from 'openai';
import { ChatCompletionSchema, type ChatCompletion, type ChatCompletionRequest } from '../../config/api';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions, ChatProvider, OutputCapField } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapOpenAIError } from './mapError';
import { toUpstreamRequest } from './mapRequest';
import { streamCompletion } from './stream';

/**
 * Any OpenAI-compatible chat completions API. `maxRetries: 0`: Temporal is the only thing that
 * retries, so every attempt shows in the workflow history.
 */
export function createOpenAIProvider(baseURL: string, apiKey: string | (() => string), outputCapField: OutputCapField = 'max_tokens'): ChatProvider {
  const key = typeof apiKey === 'string' ? () => apiKey : apiKey;
  // The SDK asks for the key before every request: a key that changed is used from the next call on.
  const client = new OpenAI({ baseURL, apiKey: async () => key(), maxRetries: 0 });
  return {
    outputCapField,
    async complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion> {
      key(); // no key: the provider's 401 (UpstreamError) here, before the SDK would wrap it
      // The SDK's own timeout stops at the response headers; the watchdog also covers the body.
      const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
      let raw: unknown;
      try {
        raw = await client.chat.completions.create(toUpstreamRequest(upstreamModel, req) as never, {
          signal: watchdog.signal,
          timeout: opts.timeoutMs,
        });
      } catch (err) {
        if (watchdog.expired) throw watchdog.error();
        throw mapOpenAIError(err);
      } finally {
        watchdog.stop();
      }
      const parsed = ChatCompletionSchema.safeParse(raw);
      if (!parsed.success) throw new UpstreamError('malformed', 'provider answer is not a chat completion');
      return parsed.data;
    },
    async stream(upstreamModel, req, opts) {
      key();
      return streamCompletion(client, upstreamModel, req, opts);
    },
  };
}
