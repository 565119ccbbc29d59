import { EmbeddingsResponseSchema, type Usage } from '../config/api';
import { UpstreamError } from '../providers/upstreamError';
import { encodeFloat32Base64 } from './vectors';

/**
 * A provider's embeddings as they enter workflow history: checked, in input order, each vector
 * packed as base64 float32 (vectors.ts). The edge turns them into the caller's encoding_format.
 */
export interface EmbeddingsAnswer {
  /** The model the provider says answered. */
  model: string;
  dimensions: number;
  /** One per input, in order. */
  vectors: string[];
  /** OpenAI's usage with `completion_tokens: 0` (what the ledger and prices read). */
  usage: Usage;
}

/**
 * Temporal refuses a payload over 2 MB (its default blob limit): an answer larger than this is
 * refused with a clear reason instead of failing as an opaque payload error.
 */
export const MAX_ANSWER_CHARS = 1_500_000;

/** Pure: the adapter's answer checked (one finite vector per input, indices 0..n-1, one size) and packed. */
export function checkEmbeddings(raw: unknown, inputs: number): EmbeddingsAnswer {
  const parsed = EmbeddingsResponseSchema.safeParse(raw);
  if (!parsed.success) throw malformed('the answer is not an embeddings list');
  const data = [...parsed.data.data].sort((a, b) => a.index - b.index);
  if (data.length !== inputs || data.some((d, i) => d.index !== i)) throw malformed(`expected one vector per input (${inputs}), got indices [${data.map((d) => d.index).join(',')}]`);
  const dimensions = data[0]!.embedding.length;
  if (dimensions === 0 || data.some((d) => d.embedding.length !== dimensions)) throw malformed('vectors are empty or differ in length');
  if (data.some((d) => d.embedding.some((v) => !Number.isFinite(v)))) throw malformed('a vector holds a value that is not a finite number');
  const { prompt_tokens, total_tokens } = parsed.data.usage;
  return { model: parsed.data.model, dimensions, vectors: data.map((d) => encodeFloat32Base64(d.embedding)), usage: { prompt_tokens, completion_tokens: 0, total_tokens } };
}

/** Characters the answer takes in history (its vectors). */
export function answerChars(a: EmbeddingsAnswer): number {
  return a.vectors.reduce((n, v) => n + v.length, 0);
}

function malformed(why: string): UpstreamError {
  return new UpstreamError('malformed', `provider sent malformed embeddings: ${why}`);
}
