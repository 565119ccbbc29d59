import { EmbeddingsRequestSchema, formatIssues, type EmbeddingsRequest } from '../config';
import { invalidRequest } from '../errors';
import { decodeFloat32Base64 } from './vectors';
import type { EmbeddingsResult } from '../temporal/contract';

/**
 * Pure: the caller's body as an embeddings request, or a 400 with a stable code. Token-id inputs
 * (numbers, arrays of numbers) are OpenAI-only and no other provider takes them: `text_input_required`.
 */
export function parseEmbeddingsBody(body: unknown): EmbeddingsRequest {
  const input = (body as { input?: unknown } | null)?.input;
  if (typeof input === 'number' || (Array.isArray(input) && input.some((i) => typeof i === 'number' || Array.isArray(i)))) {
    throw invalidRequest('text_input_required', 'input must be a string or an array of strings: token-id inputs are not accepted', 'input');
  }
  const parsed = EmbeddingsRequestSchema.safeParse(body);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), first?.path.join('.'));
  }
  return parsed.data;
}

/** The caller's answer: OpenAI's shape, each vector as floats or (as asked) base64 float32, as it left history. */
export function embeddingsResponse(result: EmbeddingsResult, format: EmbeddingsRequest['encoding_format']) {
  if (format === 'base64') return result;
  return { ...result, data: result.data.map((d) => ({ ...d, embedding: decodeFloat32Base64(d.embedding) })) };
}
