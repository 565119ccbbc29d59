import { z } from 'zod';
import { mockKind } from '../mock/kind';
import { azureOpenAIKind } from './azure';
import { geminiKind } from './gemini';
import { anthropicKind } from './anthropic';
import { bedrockKind } from './bedrock';
import type { ProviderContext, ProviderKind, Pricing } from './kind';
import { openAICompatibleKind, openAIKind } from './openai';
import type { ChatProvider } from './types';

/**
 * Every provider kind the config may name, in the order docs/config.md lists them. The config's
 * provider schema, the adapter lookup, pricing and the docs table are all built from this list:
 * adding a provider is its folder under src/providers/ and one line here.
 */
export const PROVIDER_KINDS = [openAIKind, openAICompatibleKind, anthropicKind, azureOpenAIKind, geminiKind, bedrockKind, mockKind] as const;

/** The kinds' schemas as a tuple type (a mapped type keeps tuples only over a type parameter). */
type SchemasOf<T extends readonly unknown[]> = { -readonly [I in keyof T]: T[I] extends { schema: infer S } ? S : never };

/** A provider entry of the config: a union discriminated on `kind`. */
export const ProviderSchema = z.discriminatedUnion('kind', PROVIDER_KINDS.map((k) => k.schema) as unknown as SchemasOf<typeof PROVIDER_KINDS>);

export type ProviderConfig = z.infer<typeof ProviderSchema>;
export type ProviderKindName = ProviderConfig['kind'];

const BY_KIND: ReadonlyMap<string, ProviderKind> = new Map(PROVIDER_KINDS.map((k) => [k.kind, k as unknown as ProviderKind]));
if (BY_KIND.size !== PROVIDER_KINDS.length) throw new Error('src/providers/registry.ts lists a provider kind twice');

/** The kind's definition, or undefined for a name that is not a kind. */
export function providerKind(kind: string): ProviderKind | undefined {
  return BY_KIND.get(kind);
}

/** The adapter for one configured provider (its config already validated by ProviderSchema). */
export function createProvider(config: ProviderConfig, ctx: ProviderContext): ChatProvider {
  const kind = BY_KIND.get(config.kind);
  if (!kind) throw new Error(`provider "${ctx.name}": unknown kind "${config.kind}"`);
  return kind.create(config, ctx);
}

/** How the price table finds this kind's models; undefined for a name that is not a kind (e.g. a genai-prices id). */
export function pricingOf(kind: string): Pricing | undefined {
  return BY_KIND.get(kind)?.pricing;
}
