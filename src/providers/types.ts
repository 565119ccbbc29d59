import type { ChatCompletion, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse } from '../config/api';
import type { ChatChunk } from '../streaming/chunks';
import type { Deadlines } from './deadlines';

export type OutputCapField = 'max_tokens' | 'max_completion_tokens';

export interface CallOptions {
  signal: AbortSignal;
  /** Deadline for this attempt, connect to last byte. */
  timeoutMs: number;
}

export interface StreamCallOptions {
  signal: AbortSignal;
  deadlines: Deadlines;
  /** Every chunk, in order, as it arrives (already checked to be a chat.completion.chunk). */
  onChunk: (chunk: ChatChunk) => void;
  /**
   * A chunk that cannot be read (says why): true skips it, false fails the try as malformed.
   * Absent: fail. Adapters whose SDK cannot go on past a bad event never ask.
   */
  skipMalformed?: (reason: string) => boolean;
}

/** A provider adapter: maps the gateway's request to one upstream API; throws only `UpstreamError`. */
export interface ChatProvider {
  /**
   * The request field that caps the answer when the gateway sets one and the caller set none (the
   * budget's cap): `max_tokens` unless the API says otherwise (OpenAI's reasoning models refuse it).
   */
  readonly outputCapField?: OutputCapField;
  complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion>;
  /** Streams the answer (chunks to `onChunk`) and returns it assembled; absent: the provider cannot stream. */
  stream?(upstreamModel: string, req: ChatCompletionRequest, opts: StreamCallOptions): Promise<ChatCompletion>;
  /**
   * The request's fields this provider cannot honour, as short sentences naming each field (e.g.
   * "logprobs: not supported by Anthropic, not sent"). Pure, no I/O: the provider activity reports
   * them in `gatehouse.warnings` and the ledger, so nothing a caller asked for is dropped silently.
   */
  unsupported?(req: ChatCompletionRequest): string[];
  /** Embeddings for every input, in order (`data[i].index === i`); absent: the provider has none. */
  embed?(upstreamModel: string, req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse>;
}
