import type OpenAI from 'openai';
import { EmbeddingsResponseSchema, type EmbeddingsRequest, type EmbeddingsResponse } from '../../config/api';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions } from '../types';
import { UpstreamError } from '../upstreamError';

/**
 * `POST /embeddings` over OpenAI's wire format (OpenAI, compatible servers, Azure deployments).
 * Always `encoding_format: 'float'` upstream: the gateway meters and returns floats (a caller's
 * `base64` is the front door's to encode), and the SDK would otherwise ask for base64 itself.
 * Only the fields the API defines are sent, never the gateway's `metadata`.
 */
export async function embedWith(
  client: OpenAI,
  upstreamModel: string,
  req: EmbeddingsRequest,
  opts: CallOptions,
  mapError: (err: unknown) => unknown,
): Promise<EmbeddingsResponse> {
  const body = {
    model: upstreamModel,
    input: req.input,
    encoding_format: 'float' as const,
    ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
    ...(req.user !== undefined ? { user: req.user } : {}),
  };
  const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
  let raw: unknown;
  try {
    raw = await client.embeddings.create(body, { signal: watchdog.signal, timeout: opts.timeoutMs });
  } catch (err) {
    if (watchdog.expired) throw watchdog.error();
    throw mapError(err);
  } finally {
    watchdog.stop();
  }
  return inInputOrder(raw, typeof req.input === 'string' ? 1 : req.input.length);
}

/** A valid list with exactly one vector per input, sorted by `index` (so `data[i].index === i`). */
function inInputOrder(raw: unknown, inputs: number): EmbeddingsResponse {
  const parsed = EmbeddingsResponseSchema.safeParse(raw);
  if (!parsed.success) throw new UpstreamError('malformed', 'provider answer is not an embeddings list');
  const data = [...parsed.data.data].sort((a, b) => a.index - b.index);
  if (data.length !== inputs || data.some((d, i) => d.index !== i)) {
    throw new UpstreamError('malformed', `provider returned ${data.length} embeddings for ${inputs} inputs`);
  }
  return { ...parsed.data, data };
}
