import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { UpstreamError } from '../upstreamError';

type Sdk = typeof import('@aws-sdk/client-bedrock-runtime');
type AwsCredentialIdentity = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export interface BedrockSettings {
  region: string;
  endpoint?: string;
  profile?: string;
  /** A Bedrock API key, sent as a Bearer token instead of SigV4 signing; read at each call. */
  apiKey?: () => string;
}

/** The SDK module and one client, both loaded on the first call: the config schema imports the registry everywhere. */
export interface BedrockClient {
  sdk(): Promise<Sdk>;
  client(): Promise<BedrockRuntimeClient>;
}

/**
 * Credentials: AWS's standard chain (environment, shared config/credentials files with `profile` or
 * AWS_PROFILE, SSO, web identity, container and instance roles), resolved by the SDK itself. One
 * exception: keys in the gateway's own environment (`ctx.env`, normally process.env) are read from
 * it at each call, so a rotated key is used from the next call on. An explicit `profile` wins.
 * With a Bedrock API key (`apiKey`), requests carry it as a Bearer token and are not signed.
 * `maxAttempts: 1`: Temporal is the only thing that retries.
 */
export function bedrockClient(settings: BedrockSettings, env: NodeJS.ProcessEnv): BedrockClient {
  let sdk: Promise<Sdk> | undefined;
  let client: Promise<BedrockRuntimeClient> | undefined;
  const loadSdk = () => (sdk ??= import('@aws-sdk/client-bedrock-runtime'));
  const useEnvKeys = !settings.profile && !settings.apiKey && Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  const apiKey = settings.apiKey;
  return {
    sdk: loadSdk,
    client: () =>
      (client ??= loadSdk().then(
        (m) =>
          new m.BedrockRuntimeClient({
            region: settings.region,
            maxAttempts: 1,
            ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
            ...(settings.profile ? { profile: settings.profile } : {}),
            ...(useEnvKeys ? { credentials: async () => envCredentials(env) } : {}),
            ...(apiKey ? { token: async () => ({ token: apiKey() }), authSchemePreference: ['httpBearerAuth'] } : {}),
          }),
      )),
  };
}

function envCredentials(env: NodeJS.ProcessEnv): AwsCredentialIdentity {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UpstreamError('http', 'AWS credentials not configured: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are no longer set', 401);
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}
