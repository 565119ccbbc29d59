import type { z } from 'zod';
import type { ChatProvider } from './types';

/** What every kind's `create` gets besides its own config entry. */
export interface ProviderContext {
  /** The provider's name in the config (for messages). */
  name: string;
  /** Where key settings (`apiKeyEnv`, `<ENV>_FILE`) are looked up. */
  env: NodeJS.ProcessEnv;
  /** The built-in mock server's base URL, when the gateway runs it. */
  mockUrl?: string;
}

/**
 * How the price table (src/cost/prices.ts) finds a kind's models: under a genai-prices provider id,
 * by the model name alone (the kind says nothing about who bills), or never (free, e.g. the mock).
 */
export type Pricing = { by: 'provider'; providerId: string } | { by: 'model' } | { by: 'none' };

/** The human half of a kind, for docs/config.md's provider table (settings come from the schema). */
export interface ProviderDoc {
  /** The SDK the adapter speaks through. */
  sdk: string;
  /** What it reaches, in a line. */
  reaches: string;
}

/** The config entry of one kind: a zod object whose `kind` is a literal (the union's discriminator). */
export type KindSchema<K extends string> = z.ZodObject<{ kind: z.ZodLiteral<K> } & z.ZodRawShape>;

/**
 * One provider kind: everything the gateway needs to accept it in the config, build its adapter,
 * price its models and document it. Each lives in `src/providers/<vendor>/` and is listed once in
 * `src/providers/registry.ts`.
 */
export interface ProviderKind<K extends string = string, S extends KindSchema<K> = KindSchema<K>> {
  kind: K;
  schema: S;
  pricing: Pricing;
  doc: ProviderDoc;
  /** The adapter for one configured provider; called at startup and on each config reload that changes providers. */
  create(config: z.output<S>, ctx: ProviderContext): ChatProvider;
}

/** Declares a kind; checks that the schema's discriminator is the kind's name. */
export function defineProvider<K extends string, S extends KindSchema<K>>(def: ProviderKind<K, S>): ProviderKind<K, S> {
  const literal = def.schema.shape.kind.value;
  if (literal !== def.kind) throw new Error(`provider kind "${def.kind}": its schema's kind is "${String(literal)}"`);
  return def;
}
