import { z } from 'zod';
import { providerKeySource, requireKey } from '../credentials';
import { defineProvider } from '../kind';
import { createBedrockProvider } from './adapter';

export { createBedrockProvider } from './adapter';

/**
 * AWS Bedrock (Converse, ConverseStream; InvokeModel for Titan v2 and Cohere embeddings). By default
 * the credentials come from AWS's standard chain (environment, shared profile, SSO, container or
 * instance role); `profile` picks a named profile (else AWS_PROFILE, else `default`). A Bedrock API
 * key (`apiKeyEnv` / `apiKeyFile`) replaces SigV4 with a Bearer token.
 */
export const bedrockKind = defineProvider({
  kind: 'bedrock',
  schema: z.object({
    kind: z.literal('bedrock'),
    /** AWS region of the Bedrock runtime, e.g. `us-east-1`. */
    region: z.string().regex(/^[a-z]{2,4}(-[a-z]+)+-\d+$/, 'region must be an AWS region such as us-east-1'),
    /** Overrides the regional endpoint (a VPC endpoint, a test server). */
    endpoint: z.url().optional(),
    /** A named profile of the shared AWS config/credentials files. */
    profile: z.string().min(1).optional(),
    /** A Bedrock API key (Bearer, instead of SigV4): the environment variable holding it (or `<NAME>_FILE`)… */
    apiKeyEnv: z.string().optional(),
    /** …or a file holding it, re-read when it changes. */
    apiKeyFile: z.string().min(1).optional(),
  }),
  // genai-prices' `aws` provider knows Bedrock model ids, with or without an inference-profile prefix.
  pricing: { by: 'provider', providerId: 'aws' },
  doc: { sdk: '`@aws-sdk/client-bedrock-runtime`', reaches: 'AWS Bedrock: chat through the Converse API (Anthropic, Amazon Nova, Meta, Mistral, Cohere…), Titan v2 and Cohere embeddings; the standard AWS credential chain, or a Bedrock API key' },
  create: (p, ctx) => {
    const key = providerKeySource(p, ctx.env);
    const settings = { region: p.region, ...(p.endpoint ? { endpoint: p.endpoint } : {}), ...(p.profile ? { profile: p.profile } : {}), ...(key ? { apiKey: requireKey(key) } : {}) };
    return createBedrockProvider(settings, ctx.env);
  },
});
