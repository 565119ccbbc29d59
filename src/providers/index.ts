import type { Config } from '../config';
import { createProvider } from './registry';
import type { ChatProvider } from './types';

export type { ChatProvider, CallOptions } from './types';
export type { ProviderKind, ProviderContext, Pricing } from './kind';
export { PROVIDER_KINDS, ProviderSchema, providerKind, pricingOf, type ProviderConfig } from './registry';
export * from './upstreamError';

/** One adapter per configured provider, found through the registry by kind; clients are created once so connections are kept alive. */
export function createProviders(config: Config, env: NodeJS.ProcessEnv, mockBaseUrl?: string): Map<string, ChatProvider> {
  const out = new Map<string, ChatProvider>();
  for (const [name, p] of Object.entries(config.providers)) out.set(name, createProvider(p, { name, env, mockUrl: mockBaseUrl }));
  return out;
}
