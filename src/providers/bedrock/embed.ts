import type { EmbeddingsRequest, EmbeddingsResponse } from '../../config/api';
import { endFailedCall } from '../brokenStream';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions } from '../types';
import { UpstreamError } from '../upstreamError';
import type { BedrockClient } from './client';
import { mapBedrockError } from './mapError';

/** InvokeModel calls in flight at once, per request. */
const CONCURRENCY = 4;
/** Cohere Embed on Bedrock takes at most 96 texts per call. */
const COHERE_BATCH = 96;

export type EmbeddingFamily = 'titan-v2' | 'cohere';

/**
 * The embeddings model family, by its id: a model id, an inference-profile id (`us.cohere.…`) or an
 * ARN ending in either. Amazon Titan Text Embeddings v2 and Cohere Embed (v3, v4); anything else is
 * the config's mistake, a 400 that names the model.
 */
export function embeddingFamily(modelId: string): EmbeddingFamily {
  const id = modelId.slice(modelId.lastIndexOf('/') + 1);
  if (/^([a-z]{2,6}\.)?amazon\.titan-embed-text-v2/.test(id)) return 'titan-v2';
  if (/^([a-z]{2,6}\.)?cohere\.embed-/.test(id)) return 'cohere';
  throw new UpstreamError('http', `Bedrock model "${modelId}": embeddings are supported for Amazon Titan Text Embeddings v2 (amazon.titan-embed-text-v2:0) and Cohere Embed (cohere.embed-*) only`, 400, 'unsupported_model');
}

/** The InvokeModel body for one Titan v2 input (`normalize`: OpenAI's embeddings are unit length). */
export function titanBody(input: string, dimensions: number | undefined): Record<string, unknown> {
  return { inputText: input, normalize: true, ...(dimensions !== undefined ? { dimensions } : {}) };
}

/** The InvokeModel body for a batch of Cohere inputs: documents to store, as floats. */
export function cohereBody(texts: string[], dimensions: number | undefined): Record<string, unknown> {
  return { texts, input_type: 'search_document', embedding_types: ['float'], ...(dimensions !== undefined ? { output_dimension: dimensions } : {}) };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UpstreamError('malformed', 'Bedrock embedding answer is not a JSON object');
}

const isVector = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** Titan v2's answer: `{ embedding, inputTextTokenCount }`. */
export function parseTitan(text: string): { embeddings: number[][]; tokens?: number } {
  const { embedding, inputTextTokenCount } = parseJson(text);
  if (!isVector(embedding)) throw new UpstreamError('malformed', 'Bedrock embedding answer has no embedding array');
  return { embeddings: [embedding], ...(typeof inputTextTokenCount === 'number' ? { tokens: inputTextTokenCount } : {}) };
}

/** Cohere's answer: `embeddings` as a list of vectors, or by type (`{ float: [...] }`); one per text sent. */
export function parseCohere(text: string, count: number): { embeddings: number[][] } {
  const { embeddings } = parseJson(text);
  const floats = Array.isArray(embeddings) ? embeddings : (embeddings as { float?: unknown } | undefined)?.float;
  if (!Array.isArray(floats) || floats.length !== count || !floats.every(isVector)) throw new UpstreamError('malformed', `Bedrock embedding answer does not hold ${count} float vectors`);
  return { embeddings: floats };
}

/** One InvokeModel call: `first` is the index of its first input. */
interface Call {
  first: number;
  body: Record<string, unknown>;
  parse: (text: string) => { embeddings: number[][]; tokens?: number };
}

export function planCalls(family: EmbeddingFamily, inputs: string[], dimensions: number | undefined): Call[] {
  if (family === 'titan-v2') return inputs.map((input, i) => ({ first: i, body: titanBody(input, dimensions), parse: parseTitan }));
  const calls: Call[] = [];
  for (let i = 0; i < inputs.length; i += COHERE_BATCH) {
    const texts = inputs.slice(i, i + COHERE_BATCH);
    calls.push({ first: i, body: cohereBody(texts, dimensions), parse: (t) => parseCohere(t, texts.length) });
  }
  return calls;
}

/**
 * Every input embedded through InvokeModel (Titan: one call per input; Cohere: 96 per call), at most
 * CONCURRENCY calls at once, in input order, usage summed. Token counts come from the answer (Titan)
 * or Bedrock's `x-amzn-bedrock-input-token-count` response header.
 */
export async function embedInvoke(client: BedrockClient, modelId: string, req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
  const inputs = typeof req.input === 'string' ? [req.input] : req.input;
  const calls = planCalls(embeddingFamily(modelId), inputs, req.dimensions);
  const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
  try {
    const vectors: number[][] = new Array(inputs.length);
    let tokens = 0;
    await runPool(calls, watchdog.signal, async (call) => {
      const { text, headerTokens } = await invoke(client, modelId, call.body, watchdog.signal);
      const out = call.parse(text);
      out.embeddings.forEach((v, k) => (vectors[call.first + k] = v));
      tokens += out.tokens ?? headerTokens ?? 0;
    });
    return { object: 'list', model: modelId, data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })), usage: { prompt_tokens: tokens, total_tokens: tokens } };
  } catch (err) {
    endFailedCall(err, opts.signal, watchdog, mapBedrockError);
  } finally {
    watchdog.stop();
  }
}

/** Runs `work` over `items`, CONCURRENCY at a time; the first failure stops the others taking more. */
async function runPool<T>(items: T[], signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed && !signal.aborted) {
      const item = items[next++]!;
      await work(item).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  if (signal.aborted) throw signal.reason;
}

const TOKEN_HEADER = 'x-amzn-bedrock-input-token-count';

async function invoke(client: BedrockClient, modelId: string, body: Record<string, unknown>, signal: AbortSignal): Promise<{ text: string; headerTokens?: number }> {
  const [sdk, aws] = [await client.sdk(), await client.client()];
  const command = new sdk.InvokeModelCommand({ modelId, body: new TextEncoder().encode(JSON.stringify(body)), contentType: 'application/json', accept: 'application/json' });
  let headerTokens: number | undefined;
  // The token count is only in a response header, which the command's output does not carry.
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const value = (result.response as { headers?: Record<string, string | undefined> }).headers?.[TOKEN_HEADER];
      if (value && /^\d+$/.test(value)) headerTokens = Number(value);
      return result;
    },
    { step: 'deserialize', name: 'gatehouseInputTokenCount' },
  );
  const out = await aws.send(command, { abortSignal: signal });
  return { text: new TextDecoder().decode(out.body), ...(headerTokens !== undefined ? { headerTokens } : {}) };
}
