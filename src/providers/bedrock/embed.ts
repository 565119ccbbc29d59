import type { EmbeddingsRequest, EmbeddingsResponse } from '../../config/api';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import type { BedrockClient } from './client';
import { mapBedrockError } from './mapError';

/** Titan takes one text per call: this many calls at once, per request. */
const CONCURRENCY = 4;

/**
 * The embeddings model family, by its id: a model id, an inference-profile id (`us.amazon.…`) or an
 * ARN ending in either. Only Amazon Titan Text Embeddings v2 is supported; anything else is the
 * caller's (config's) mistake, a 400 that names the model.
 */
export function embeddingFamily(modelId: string): 'titan-v2' {
  const id = modelId.slice(modelId.lastIndexOf('/') + 1);
  if (/^([a-z]{2,6}\.)?amazon\.titan-embed-text-v2/.test(id)) return 'titan-v2';
  throw new UpstreamError('http', `Bedrock model "${modelId}": embeddings are supported for Amazon Titan Text Embeddings v2 (amazon.titan-embed-text-v2:0) only`, 400, 'unsupported_model');
}

/** The InvokeModel body for one input (Titan v2: `normalize` as OpenAI's embeddings are unit length). */
export function titanBody(input: string, dimensions: number | undefined): Record<string, unknown> {
  return { inputText: input, normalize: true, ...(dimensions !== undefined ? { dimensions } : {}) };
}

/** Titan v2's answer: `{ embedding, inputTextTokenCount }`; anything else is malformed. */
export function parseTitan(text: string): { embedding: number[]; tokens: number } {
  let value: { embedding?: unknown; inputTextTokenCount?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    throw new UpstreamError('malformed', 'Bedrock embedding answer is not JSON');
  }
  const { embedding, inputTextTokenCount } = value ?? {};
  if (!Array.isArray(embedding) || !embedding.every((x) => typeof x === 'number')) throw new UpstreamError('malformed', 'Bedrock embedding answer has no embedding array');
  return { embedding: embedding as number[], tokens: typeof inputTextTokenCount === 'number' ? inputTextTokenCount : 0 };
}

/** Every input embedded (one InvokeModel each, at most CONCURRENCY at once), in order, usage summed. */
export async function embedTitan(client: BedrockClient, modelId: string, req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
  embeddingFamily(modelId);
  const inputs = typeof req.input === 'string' ? [req.input] : req.input;
  const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
  try {
    const [sdk, aws] = [await client.sdk(), await client.client()];
    const results: Array<{ embedding: number[]; tokens: number }> = new Array(inputs.length);
    let next = 0;
    let failed = false; // one failed input fails the request: the other workers stop taking inputs
    const worker = async () => {
      while (next < inputs.length && !failed && !watchdog.signal.aborted) {
        const i = next++;
        const body = new TextEncoder().encode(JSON.stringify(titanBody(inputs[i]!, req.dimensions)));
        try {
          const out = await aws.send(new sdk.InvokeModelCommand({ modelId, body, contentType: 'application/json', accept: 'application/json' }), { abortSignal: watchdog.signal });
          results[i] = parseTitan(new TextDecoder().decode(out.body));
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, inputs.length) }, worker));
    if (watchdog.signal.aborted) throw watchdog.signal.reason;
    const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
    return { object: 'list', model: modelId, data: results.map((r, index) => ({ object: 'embedding', index, embedding: r.embedding })), usage: { prompt_tokens: tokens, total_tokens: tokens } };
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason ?? err;
    if (watchdog.expired) throw watchdog.error();
    throw mapBedrockError(err);
  } finally {
    watchdog.stop();
  }
}
