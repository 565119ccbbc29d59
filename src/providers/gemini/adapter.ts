import type { GoogleGenAI, GoogleGenAIOptions } from '@google/genai';
import type { ChatCompletion, ChatCompletionRequest } from '../../config/api';
import { endFailedCall } from '../brokenStream';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions, ChatProvider } from '../types';
import { embedGemini } from './embed';
import { mapGeminiError } from './mapError';
import { geminiUnsupported, toGeminiParams } from './mapRequest';
import { fromGeminiResponse } from './mapResponse';
import { streamGemini } from './stream';

export interface GeminiSettings {
  /** Overrides the SDK's endpoint (tests, proxies). */
  baseUrl?: string;
  apiVersion?: string;
  /** The Gemini API key, read at each call (a rotated key file is used from the next call on). */
  apiKey?: () => string;
  /** Vertex AI instead of the Gemini API: auth from Google's Application Default Credentials. */
  vertex?: { project: string; location: string };
  /** Vertex only: google-auth-library options (a test injects its token here; the config does not). */
  googleAuthOptions?: GoogleGenAIOptions['googleAuthOptions'];
}

/**
 * Google Gemini through `@google/genai`: the Gemini API with an API key, or Vertex AI. The SDK's
 * retries stay off (no `retryOptions`: one fetch per call), as Temporal is the only thing that retries.
 */
export function createGeminiProvider(settings: GeminiSettings): ChatProvider {
  const client = clientFactory(settings);
  return {
    outputCapField: 'max_tokens',
    async complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion> {
      const ai = client(); // no key: the provider's 401 here
      const params = toGeminiParams(upstreamModel, req);
      const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
      try {
        const response = await ai.models.generateContent({ ...params, config: { ...params.config, abortSignal: watchdog.signal } });
        return fromGeminiResponse(response, upstreamModel);
      } catch (err) {
        endFailedCall(err, opts.signal, watchdog, mapGeminiError);
      } finally {
        watchdog.stop();
      }
    },
    async stream(upstreamModel, req, opts) {
      return streamGemini(client(), toGeminiParams(upstreamModel, req), opts);
    },
    unsupported: geminiUnsupported,
    async embed(upstreamModel, req, opts) {
      return embedGemini(client(), Boolean(settings.vertex), upstreamModel, req, opts);
    },
  };
}

/**
 * The SDK client, created at the first call (not when the config is read) and again when the key
 * changed: the SDK takes its key once, at construction.
 */
function clientFactory(s: GeminiSettings): () => GoogleGenAI {
  let cached: { key: string | undefined; client: GoogleGenAI } | undefined;
  return () => {
    const key = s.vertex ? undefined : s.apiKey?.();
    if (cached && cached.key === key) return cached.client;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: the config schema imports every kind
    const { GoogleGenAI: Client } = require('@google/genai') as typeof import('@google/genai');
    const httpOptions = { ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}), ...(s.apiVersion ? { apiVersion: s.apiVersion } : {}) };
    const options: GoogleGenAIOptions = s.vertex
      ? { vertexai: true, project: s.vertex.project, location: s.vertex.location, ...(s.googleAuthOptions ? { googleAuthOptions: s.googleAuthOptions } : {}), httpOptions }
      : { vertexai: false, apiKey: key, httpOptions }; // explicit: GOOGLE_GENAI_USE_VERTEXAI in the environment must not switch it
    cached = { key, client: new Client(options) };
    return cached.client;
  };
}
