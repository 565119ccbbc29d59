import type Anthropic from '@anthropic-ai/sdk';
import type { ChatCompletion, ChatCompletionRequest } from '../../config/api';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions, ChatProvider } from '../types';
import { mapAnthropicError } from './mapError';
import { toAnthropicRequest } from './mapRequest';
import { toChatCompletion } from './mapResponse';
import { streamMessages, type RequestHeaders } from './stream';
import { unsupportedFields } from './unsupported';

export interface AnthropicSettings {
  baseURL: string;
  /** The key now, or the provider's 401 (`UpstreamError`); read at each call, so a rotated key is used next call. */
  apiKey: () => string;
  /** The `anthropic-version` header. */
  version: string;
}

/**
 * Anthropic's Messages API through @anthropic-ai/sdk. `maxRetries: 0`: Temporal is the only thing
 * that retries. The SDK (about 150 ms to load) is loaded on the first call, not when the config is
 * parsed.
 */
export function createAnthropicProvider(s: AnthropicSettings): ChatProvider {
  let client: Anthropic | undefined;
  const sdk = () => (client ??= newClient(s));
  return {
    outputCapField: 'max_tokens',
    async complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion> {
      const headers = keyHeaders(s); // no key: the provider's 401 here, before the SDK would wrap it
      const body = toAnthropicRequest(upstreamModel, req, s.version);
      // The SDK's own timeout stops at the response headers; the watchdog also covers the body.
      const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
      let raw: unknown;
      try {
        raw = await sdk().messages.create(body, { signal: watchdog.signal, timeout: opts.timeoutMs, headers });
      } catch (err) {
        if (watchdog.expired) throw watchdog.error();
        throw mapAnthropicError(err);
      } finally {
        watchdog.stop();
      }
      return toChatCompletion(raw);
    },
    async stream(upstreamModel, req, opts) {
      const headers = keyHeaders(s);
      return streamMessages(sdk(), toAnthropicRequest(upstreamModel, req, s.version), headers, opts);
    },
    unsupported: (req) => unsupportedFields(req, s.version),
  };
}

/**
 * The key as `x-api-key`, the header Anthropic's API reference documents and every
 * Anthropic-compatible endpoint reads. SDK 1.x would send it as `Authorization: Bearer` (the API
 * takes both, and prefers x-api-key when both come), so that header is removed.
 */
function keyHeaders(s: AnthropicSettings): RequestHeaders {
  return { 'x-api-key': s.apiKey(), authorization: null };
}

function newClient(s: AnthropicSettings): Anthropic {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: every config parse would pay for it otherwise
  const { default: AnthropicClient } = require('@anthropic-ai/sdk') as typeof import('@anthropic-ai/sdk');
  return new AnthropicClient({
    baseURL: s.baseURL,
    // Asked per request; the x-api-key header above replaces what it would send.
    apiKey: async () => s.apiKey(),
    maxRetries: 0,
    defaultHeaders: { 'anthropic-version': s.version },
    logLevel: 'off', // no console output from the SDK: the gateway logs what matters
  });
}
