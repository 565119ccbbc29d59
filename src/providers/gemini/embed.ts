import type { EmbedContentResponse, GoogleGenAI } from '@google/genai';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../config/api';
import { tokenizerFor } from '../../cost/tokens';
import { endFailedCall } from '../brokenStream';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapGeminiError } from './mapError';

/**
 * Embeddings through `ai.models.embedContent`: on the Gemini API one `:batchEmbedContents` call for
 * the whole batch; on Vertex, Gemini embedding models take one content per call (the SDK refuses
 * more), so those go one by one within the same deadline.
 */
export async function embedGemini(client: GoogleGenAI, vertex: boolean, upstreamModel: string, req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
  const inputs = typeof req.input === 'string' ? [req.input] : req.input;
  const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
  const config = { abortSignal: watchdog.signal, ...(req.dimensions ? { outputDimensionality: req.dimensions } : {}) };
  const call = (contents: string[]) => client.models.embedContent({ model: upstreamModel, contents, config });
  try {
    const responses = vertex && oneAtATime(upstreamModel) ? await sequential(inputs.map((i) => () => call([i]))) : [await call(inputs)];
    return toEmbeddings(responses, inputs, upstreamModel);
  } catch (err) {
    endFailedCall(err, opts.signal, watchdog, mapGeminiError);
  } finally {
    watchdog.stop();
  }
}

/** The SDK's own test for Vertex models served by `:embedContent` (one content per request). */
const oneAtATime = (model: string) => (model.includes('gemini') && model !== 'gemini-embedding-001') || model.includes('maas');

async function sequential<T>(calls: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  for (const c of calls) out.push(await c());
  return out;
}

/**
 * OpenAI's embeddings list. Usage: what Google reports (Vertex gives each embedding's token count).
 * The Gemini API reports no token counts for embeddings, so then the gateway's own estimate of the
 * inputs (src/cost/tokens.ts) stands in: the ledger and budgets need a number, and it is only that.
 */
export function toEmbeddings(responses: Array<Pick<EmbedContentResponse, 'embeddings'>>, inputs: readonly string[], model: string): EmbeddingsResponse {
  const embeddings = responses.flatMap((r) => r.embeddings ?? []);
  if (embeddings.length !== inputs.length || embeddings.some((e) => !Array.isArray(e.values))) {
    throw new UpstreamError('malformed', `Gemini returned ${embeddings.length} embeddings for ${inputs.length} inputs`);
  }
  const reported = embeddings.every((e) => typeof e.statistics?.tokenCount === 'number');
  const count = tokenizerFor(model);
  const tokens = reported ? embeddings.reduce((n, e) => n + e.statistics!.tokenCount!, 0) : inputs.reduce((n, text) => n + count(text), 0);
  return {
    object: 'list',
    data: embeddings.map((e, index) => ({ object: 'embedding', index, embedding: e.values! })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens, ...(reported ? {} : { estimated: true }) },
  };
}
