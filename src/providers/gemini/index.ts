import { z } from 'zod';
import { providerKeySource, requireKey } from '../credentials';
import { defineProvider } from '../kind';
import { createGeminiProvider } from './adapter';

export { createGeminiProvider, type GeminiSettings } from './adapter';

/**
 * `kind: gemini`: Google Gemini through `@google/genai`. The Gemini API with an API key
 * (`apiKeyEnv` / `apiKeyFile`, sent as `x-goog-api-key`), or, with `vertex`, Vertex AI in a Google
 * Cloud project, authenticated by Google's Application Default Credentials
 * (`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth application-default login`, or the metadata
 * server of the machine it runs on): no key in the gateway's config at all.
 */
const GeminiSchema = z
  .object({
    kind: z.literal('gemini'),
    /** Name of the environment variable holding the Gemini API key (or `<apiKeyEnv>_FILE`, a file holding it). */
    apiKeyEnv: z.string().min(1).optional(),
    /** A file holding the Gemini API key: read again whenever it changes, no restart needed. */
    apiKeyFile: z.string().min(1).optional(),
    /** Overrides the SDK's endpoint (a proxy, a test server). */
    baseUrl: z.url().optional(),
    /** The API version in the path; the SDK's default (`v1beta` for the Gemini API, `v1beta1` for Vertex) otherwise. */
    apiVersion: z.string().regex(/^v\d+\w*$/, 'an API version like v1 or v1beta').optional(),
    /** Vertex AI instead of the Gemini API: the project and region; credentials from Google's ADC. */
    vertex: z.strictObject({ project: z.string().min(1), location: z.string().min(1) }).optional(),
  })
  .refine((p) => !(p.vertex && (p.apiKeyEnv || p.apiKeyFile)), {
    message: 'vertex authenticates with Google Application Default Credentials: drop apiKeyEnv / apiKeyFile',
    path: ['vertex'],
  })
  .refine((p) => p.vertex || p.apiKeyEnv || p.apiKeyFile, { message: 'the Gemini API needs apiKeyEnv or apiKeyFile (or vertex: { project, location })', path: ['apiKeyEnv'] });

export const geminiKind = defineProvider({
  kind: 'gemini',
  schema: GeminiSchema,
  // genai-prices lists Gemini models (the Gemini API's and Vertex's prices are the same list) under `google`.
  pricing: { by: 'provider', providerId: 'google' },
  doc: { sdk: '`@google/genai`', reaches: 'Google Gemini: the Gemini API with an API key, or Vertex AI (`vertex: { project, location }`, Application Default Credentials)' },
  create(p, ctx) {
    if (p.vertex) return createGeminiProvider({ baseUrl: p.baseUrl, apiVersion: p.apiVersion, vertex: p.vertex });
    const source = providerKeySource(p, ctx.env)!; // the schema requires one without vertex
    return createGeminiProvider({ baseUrl: p.baseUrl, apiVersion: p.apiVersion, apiKey: requireKey(source) });
  },
});
