import { z } from 'zod';
import { providerKeySource, requireKey } from '../credentials';
import { defineProvider, type ProviderContext } from '../kind';
import type { OutputCapField } from '../types';
import { createOpenAIProvider } from './adapter';
import { NOT_SENT_TO_COMPATIBLE, NOT_SENT_TO_OPENAI } from './mapRequest';

export { createOpenAIProvider } from './adapter';

/** Settings shared by every endpoint that speaks OpenAI's chat completions API with a Bearer key. */
const OpenAIFields = {
  baseUrl: z.url(),
  /**
   * Name of the environment variable holding the key; the key itself never sits in the file.
   * When `<apiKeyEnv>_FILE` is set in the environment, the key is read from that file instead.
   */
  apiKeyEnv: z.string().optional(),
  /** A file holding the key (e.g. a mounted secret): read again whenever it changes, no restart needed. */
  apiKeyFile: z.string().min(1).optional(),
};

type OpenAIFieldsConfig = { baseUrl: string; apiKeyEnv?: string; apiKeyFile?: string };

/** `capField`: OpenAI's own reasoning models refuse `max_tokens`; compatible servers may not know the newer name. */
const creator = (capField: OutputCapField, notSent: readonly string[]) => (p: OpenAIFieldsConfig, ctx: ProviderContext) => {
  // Read at each call: a key file replaced on disk is used from the next call on.
  const source = providerKeySource(p, ctx.env);
  return createOpenAIProvider(p.baseUrl, source ? requireKey(source) : 'none', capField, notSent);
};

/** OpenAI's own API: models are priced as OpenAI's. */
export const openAIKind = defineProvider({
  kind: 'openai',
  schema: z.object({ kind: z.literal('openai'), ...OpenAIFields }),
  pricing: { by: 'provider', providerId: 'openai' },
  doc: { sdk: '`openai`', reaches: 'OpenAI (`https://api.openai.com/v1`)' },
  create: creator('max_completion_tokens', NOT_SENT_TO_OPENAI),
});

/** Any OpenAI-compatible server (vLLM, Ollama, Groq, Together, Mistral, DeepSeek, OpenRouter, another gateway). */
export const openAICompatibleKind = defineProvider({
  kind: 'openai-compatible',
  schema: z.object({ kind: z.literal('openai-compatible'), ...OpenAIFields }),
  // Says nothing about who bills: a model is priced by its name alone (or the model's `price`).
  pricing: { by: 'model' },
  doc: { sdk: '`openai`', reaches: 'any OpenAI-compatible API by base URL: vLLM, Ollama, Groq, Together, Mistral, DeepSeek, OpenRouter' },
  create: creator('max_tokens', NOT_SENT_TO_COMPATIBLE),
});
