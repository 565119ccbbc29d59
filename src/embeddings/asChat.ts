import type { ChatCompletionRequest, ChatMessage, EmbeddingsRequest } from '../config/api';

/** The request's inputs as a list (a single string is a list of one). */
export function embeddingInputs(req: EmbeddingsRequest): string[] {
  return typeof req.input === 'string' ? [req.input] : req.input;
}

/**
 * The embeddings request as admission sees it: each input one user message, no answer asked for.
 * Screening, redaction, the token estimate, size and rate limits then run exactly as for chat.
 */
export function embeddingsAsChat(req: EmbeddingsRequest): ChatCompletionRequest {
  return {
    model: req.model,
    messages: embeddingInputs(req).map((content): ChatMessage => ({ role: 'user', content })),
    // Embeddings produce no output tokens: the budget reserves and the rate limit counts input only.
    max_tokens: 0,
    ...(req.metadata ? { metadata: req.metadata } : {}),
  };
}

/** The request with admission's redacted messages as its inputs (same count, same order, same shape). */
export function withRedactedInputs(req: EmbeddingsRequest, redacted: readonly ChatMessage[]): EmbeddingsRequest {
  const inputs = redacted.map((m) => (typeof m.content === 'string' ? m.content : ''));
  return { ...req, input: typeof req.input === 'string' ? (inputs[0] ?? '') : inputs };
}
