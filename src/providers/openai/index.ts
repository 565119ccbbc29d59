import OpenAI from 'openai';
import { ChatCompletionSchema, type ChatCompletion, type ChatCompletionRequest } from '../../config/api';
import type { CallOptions, ChatProvider } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapOpenAIError } from './mapError';
import { toUpstreamRequest } from './mapRequest';

/**
 * Any OpenAI-compatible chat completions API. `maxRetries: 0`: Temporal is the only thing that
 * retries, so every attempt shows in the workflow history.
 */
export function createOpenAIProvider(baseURL: string, apiKey: string): ChatProvider {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  return {
    async complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion> {
      let raw: unknown;
      try {
        raw = await client.chat.completions.create(toUpstreamRequest(upstreamModel, req) as never, {
          signal: opts.signal,
          timeout: opts.timeoutMs,
        });
      } catch (err) {
        throw mapOpenAIError(err);
      }
      const parsed = ChatCompletionSchema.safeParse(raw);
      if (!parsed.success) throw new UpstreamError('malformed', 'provider answer is not a chat completion');
      return parsed.data;
    },
  };
}
