import type { Config } from '../config';
import { createOpenAIProvider } from './openai';
import type { ChatProvider } from './types';
import { UpstreamError } from './upstreamError';

export type { ChatProvider, CallOptions } from './types';
export * from './upstreamError';

/** One adapter per configured provider; clients are created once so connections are kept alive. */
export function createProviders(config: Config, env: NodeJS.ProcessEnv, mockBaseUrl?: string): Map<string, ChatProvider> {
  const out = new Map<string, ChatProvider>();
  for (const [name, p] of Object.entries(config.providers)) {
    if (p.kind === 'mock') {
      if (!mockBaseUrl) throw new Error(`provider "${name}" is the built-in mock, but the mock server is not running`);
      out.set(name, createOpenAIProvider(mockBaseUrl, 'mock'));
    } else {
      const key = p.apiKeyEnv ? env[p.apiKeyEnv] : undefined;
      // A missing key fails that provider's calls (so routes fall back), not the whole gateway.
      out.set(name, p.apiKeyEnv && !key ? missingKeyProvider(p.apiKeyEnv) : createOpenAIProvider(p.baseUrl, key ?? 'none'));
    }
  }
  return out;
}

function missingKeyProvider(envName: string): ChatProvider {
  return {
    complete: () => Promise.reject(new UpstreamError('http', `API key not configured: set $${envName}`, 401)),
  };
}
