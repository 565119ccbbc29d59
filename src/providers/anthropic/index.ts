import { z } from 'zod';
import { providerKeySource, requireKey } from '../credentials';
import { defineProvider } from '../kind';
import { UpstreamError } from '../upstreamError';
import { createAnthropicProvider } from './adapter';

export { createAnthropicProvider } from './adapter';

/**
 * `anthropic-version` sent when the config names none. 2023-06-01 still accepts `temperature`,
 * `top_p` and `top_k`, which OpenAI-shaped callers send all the time; 2026-10-21 (what
 * @anthropic-ai/sdk 1.x sends by default) refuses them with a 400. Set `version` to opt in.
 */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's Messages API, natively (system prompt, images, tools, cache usage, its stream events and errors). */
export const anthropicKind = defineProvider({
  kind: 'anthropic',
  schema: z.object({
    kind: z.literal('anthropic'),
    baseUrl: z.url().default('https://api.anthropic.com'),
    /** Name of the environment variable holding the key (`<apiKeyEnv>_FILE` names a file instead). */
    apiKeyEnv: z.string().optional(),
    /** A file holding the key, re-read whenever it changes. */
    apiKeyFile: z.string().min(1).optional(),
    /** The `anthropic-version` header: an API version date. */
    version: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'version must be an API version date such as 2023-06-01')
      .default(DEFAULT_ANTHROPIC_VERSION),
  }),
  pricing: { by: 'provider', providerId: 'anthropic' },
  doc: { sdk: '`@anthropic-ai/sdk`', reaches: 'Anthropic Messages API (`https://api.anthropic.com`)' },
  create: (p, ctx) => {
    const source = providerKeySource(p, ctx.env);
    // Without a key setting every call is the provider's 401, so the route falls back.
    const key = source ? requireKey(source) : () => { throw new UpstreamError('http', 'API key not configured: set apiKeyEnv or apiKeyFile', 401); };
    return createAnthropicProvider({ baseURL: p.baseUrl, apiKey: key, version: p.version });
  },
});
