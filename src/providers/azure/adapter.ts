import { AzureOpenAI } from 'openai';
import { openAIWireProvider } from '../openai/adapter';
import { NOT_SENT_TO_OPENAI } from '../openai/mapRequest';
import type { ChatProvider, OutputCapField } from '../types';
import { UpstreamError } from '../upstreamError';
import { mapAzureError } from './mapError';

/** How calls authenticate: an API key (`api-key` header, read at each call) or Entra ID bearer tokens. */
export type AzureAuth = { apiKey: () => string } | { tokenProvider: () => Promise<string> };

export interface AzureSettings {
  /** `https://<resource>.openai.azure.com` (or a proxy in front of it). */
  endpoint: string;
  /** The `api-version` query parameter of every call. */
  apiVersion: string;
  auth: AzureAuth;
}

/**
 * Azure OpenAI through the `openai` package's `AzureOpenAI` client: the model's `upstream` is the
 * deployment name, which the SDK puts in the path (`/openai/deployments/<name>/chat/completions`).
 * Requests, streams, embeddings and errors are OpenAI's wire format, so the OpenAI adapter's code
 * does the work; only the client, its auth and the content-filter error differ.
 */
export function createAzureProvider(s: AzureSettings): ChatProvider {
  // Azure documents the same request fields as OpenAI: what OpenAI's API refuses is left out and
  // reported; a field an older api-version does not know is refused by Azure (400, its message).
  const wire = { client: azureClient(s), mapError: mapAzureError, notSent: NOT_SENT_TO_OPENAI };
  return { ...openAIWireProvider(wire), outputCapField: outputCapFieldFor(s.apiVersion) };
}

/**
 * Everything explicit, so no `OPENAI_*` / `AZURE_OPENAI_*` variable of the gateway's environment
 * changes where calls go or how they authenticate. `maxRetries: 0`: Temporal retries.
 */
function azureClient(s: AzureSettings): () => AzureOpenAI {
  const base = { baseURL: `${s.endpoint.replace(/\/+$/, '')}/openai`, apiVersion: s.apiVersion, maxRetries: 0, organization: null, project: null };
  const auth = s.auth;
  if ('tokenProvider' in auth) {
    // `apiKey: ''` keeps the SDK from reading AZURE_OPENAI_API_KEY (which it would refuse beside a token provider).
    const client = new AzureOpenAI({ ...base, apiKey: '', azureADTokenProvider: entraToken(auth.tokenProvider) });
    return () => client;
  }
  // The SDK sends `api-key` only for a key given as a string: one client per key value, so a
  // rotated key file is used from the next call on. A missing key throws the provider's 401 here.
  let cached: { key: string; client: AzureOpenAI } | undefined;
  return () => {
    const key = auth.apiKey();
    if (cached?.key !== key) cached = { key, client: new AzureOpenAI({ ...base, apiKey: key }) };
    return cached.client;
  };
}

/** A token that cannot be had (no identity, expired secret) is the provider's 401: routes fall back. */
function entraToken(provider: () => Promise<string>): () => Promise<string> {
  return async () => {
    try {
      return await provider();
    } catch (err) {
      const reason = ((err as Error)?.message ?? String(err)).split('\n')[0]!.slice(0, 300);
      throw new UpstreamError('http', `Entra ID token unavailable: ${reason}`, 401);
    }
  };
}

/**
 * The field that caps the answer: Azure's reasoning deployments refuse `max_tokens`, and
 * `max_completion_tokens` exists from api-version 2024-09-01-preview on (dates compare as strings).
 */
export function outputCapFieldFor(apiVersion: string): OutputCapField {
  return apiVersion >= '2024-09-01' ? 'max_completion_tokens' : 'max_tokens';
}
