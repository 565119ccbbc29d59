import type { ChatCompletion, ChatCompletionRequest } from '../config/api';

export interface CallOptions {
  signal: AbortSignal;
  /** Deadline for this attempt, connect to last byte. */
  timeoutMs: number;
}

/** A provider adapter: maps the gateway's request to one upstream API; throws only `UpstreamError`. */
export interface ChatProvider {
  complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion>;
}
