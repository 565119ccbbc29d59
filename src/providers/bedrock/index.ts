import { z } from 'zod';
import { defineProvider } from '../kind';
import { createBedrockProvider } from './adapter';

export { createBedrockProvider } from './adapter';

/**
 * AWS Bedrock (Converse, ConverseStream; InvokeModel for Titan embeddings). No key settings: the
 * credentials come from AWS's standard chain (environment, shared profile, SSO, container or instance
 * role); `profile` picks a named profile (else AWS_PROFILE, else `default`).
 */
export const bedrockKind = defineProvider({
  kind: 'bedrock',
  schema: z.object({
    kind: z.literal('bedrock'),
    /** AWS region of the Bedrock runtime, e.g. `us-east-1`. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'region must be an AWS region such as us-east-1'),
    /** Overrides the regional endpoint (a VPC endpoint, a test server). */
    endpoint: z.url().optional(),
    /** A named profile of the shared AWS config/credentials files. */
    profile: z.string().min(1).optional(),
  }),
  // genai-prices' `aws` provider knows Bedrock model ids, with or without an inference-profile prefix.
  pricing: { by: 'provider', providerId: 'aws' },
  doc: { sdk: '`@aws-sdk/client-bedrock-runtime`', reaches: 'AWS Bedrock (Converse API: Anthropic, Amazon Nova, Meta, Mistral, Cohere…; Titan v2 embeddings) with the standard AWS credential chain' },
  create: (p, ctx) => createBedrockProvider({ region: p.region, ...(p.endpoint ? { endpoint: p.endpoint } : {}), ...(p.profile ? { profile: p.profile } : {}) }, ctx.env),
});
