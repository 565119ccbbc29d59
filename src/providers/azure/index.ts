import { z } from 'zod';
import { providerKeySource, requireKey } from '../credentials';
import { defineProvider } from '../kind';
import { createAzureProvider, type AzureAuth } from './adapter';
import { entraTokenProvider } from './entra';

export { createAzureProvider } from './adapter';

/** The current GA data-plane inference version; a config may name any other (e.g. a preview). */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

const AUTH_FIELDS = ['apiKeyEnv', 'apiKeyFile', 'entraId'] as const;

const AzureSchema = z
  .object({
    kind: z.literal('azure-openai'),
    /** `https://<resource>.openai.azure.com`: the resource's endpoint, without `/openai`. */
    endpoint: z.url().refine((u) => !/\/openai\/*$/.test(u), 'endpoint is the resource URL without /openai (https://<resource>.openai.azure.com): the client adds /openai/deployments/…'),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'apiVersion must be an Azure OpenAI api-version such as 2024-10-21 or 2025-01-01-preview')
      .default(DEFAULT_AZURE_API_VERSION),
    /** The environment variable holding the resource's key (sent as `api-key`); `<apiKeyEnv>_FILE` names a file instead. */
    apiKeyEnv: z.string().min(1).optional(),
    /** A file holding the key, re-read when it changes. */
    apiKeyFile: z.string().min(1).optional(),
    /** Entra ID instead of a key: DefaultAzureCredential's bearer token (managed identity, workload identity, …). */
    entraId: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    const set = AUTH_FIELDS.filter((f) => (f === 'entraId' ? p.entraId === true : p[f] !== undefined));
    if (set.length === 1) return;
    const message = set.length === 0
      ? 'azure-openai needs one way to authenticate: apiKeyEnv, apiKeyFile, or entraId: true'
      : `azure-openai takes one way to authenticate, not ${set.join(' and ')}`;
    ctx.addIssue({ code: 'custom', message, path: [set[1] ?? 'apiKeyEnv'] });
  });

/**
 * Azure OpenAI: the model's `upstream` is the deployment name. Priced from genai-prices' `azure`
 * table (which falls back to OpenAI's), looked up by that name: a deployment not named after its
 * model (e.g. `chat-prod`) needs the model's `price` in the config, or it costs 0 (unknown).
 */
export const azureOpenAIKind = defineProvider({
  kind: 'azure-openai',
  schema: AzureSchema,
  pricing: { by: 'provider', providerId: 'azure' },
  doc: { sdk: '`openai` (`AzureOpenAI`), `@azure/identity`', reaches: 'Azure OpenAI deployments (`upstream` = deployment name); `api-key` or Entra ID' },
  create(p, ctx) {
    return createAzureProvider({ endpoint: p.endpoint, apiVersion: p.apiVersion, auth: authOf(p, ctx.env) });
  },
});

function authOf(p: z.output<typeof AzureSchema>, env: NodeJS.ProcessEnv): AzureAuth {
  if (p.entraId) return { tokenProvider: entraTokenProvider() };
  // The schema guarantees a key setting here; read at each call (a rotated key file is picked up).
  return { apiKey: requireKey(providerKeySource(p, env)!) };
}
