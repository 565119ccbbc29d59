import OpenAI from 'openai';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../config/api';
import { AttemptWatchdog, deadlinesFromTimeout } from '../providers/deadlines';
import { mapOpenAIError } from '../providers/openai/mapError';
import type { CallOptions } from '../providers/types';

/**
 * `embed` through the `openai` SDK's `client.embeddings.create`, for the mock kind. Kept apart so
 * it folds into the shared OpenAI adapter (src/providers/openai/) in one move when that has `embed`.
 * Floats are asked for explicitly: the SDK otherwise asks for base64 and decodes it itself.
 */
export function createOpenAIEmbed(baseURL: string, apiKey: string) {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  return async function embed(upstreamModel: string, req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
    const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
    try {
      // The caller's encoding_format is the front door's to apply; metadata is the gateway's own.
      const body = { model: upstreamModel, input: req.input, encoding_format: 'float' as const, ...(req.dimensions ? { dimensions: req.dimensions } : {}), ...(req.user ? { user: req.user } : {}) };
      const answer = await client.embeddings.create(body, { signal: watchdog.signal, timeout: opts.timeoutMs });
      return answer as unknown as EmbeddingsResponse; // checked by the activity (src/embeddings/answer.ts)
    } catch (err) {
      if (watchdog.expired) throw watchdog.error();
      throw mapOpenAIError(err);
    } finally {
      watchdog.stop();
    }
  };
}
