import type { Config } from '../config';
import { providerKeySource, requireKey } from './credentials';
import { createOpenAIProvider } from './openai';
import type { ChatProvider } from './types';

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
      // Read at each call: a key file replaced on disk is used from the next call on.
      const source = providerKeySource(p, env);
      out.set(name, createOpenAIProvider(p.baseUrl, source ? requireKey(source) : 'none'));
    }
  }
  return out;
}
