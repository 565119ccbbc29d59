import { calcPrice, findProvider, type PriceCalculation } from '@pydantic/genai-prices';
import type { z } from 'zod';
import { PriceSchema } from '../config/routing';
import { pricingOf } from '../providers/registry';

/**
 * Model prices in USD per 1M tokens: a per-model override from the config wins, else the price
 * catalog bundled with @pydantic/genai-prices (offline; never auto-updated here), else an explicit
 * zero price marked `unknown` (the mock's `mock-small`, self-hosted models) so nothing crashes and
 * budgets simply do not grow for free models.
 */

/** Config fragment for a model: `price: { inputPerMTok: 0.15, outputPerMTok: 0.6 }` (defined with the config). */
export const PriceOverrideSchema = PriceSchema;
export type PriceOverride = z.infer<typeof PriceOverrideSchema>;

/** Overrides keyed by upstream model name (see `priceOverridesFromModels`). */
export type PriceOverrides = Readonly<Record<string, PriceOverride | undefined>>;

/** Long-context pricing: when the prompt has more than `aboveInputTokens`, the whole request uses `perMTok`. */
export interface PriceTier {
  aboveInputTokens: number;
  perMTok: number;
}

export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
  source: 'override' | 'genai-prices' | 'unknown';
  /** The catalog's provider and model id when genai-prices matched (e.g. `openai` / `gpt-4o-mini`). */
  catalog?: { provider: string; model: string };
  inputTiers?: PriceTier[];
  outputTiers?: PriceTier[];
  /**
   * Cached prompt tokens: reads (OpenAI's `cached_tokens`, Anthropic's cache reads) and writes
   * (Anthropic's `cache_creation_input_tokens`). Absent (an override, a catalogue entry without
   * them): those tokens cost the input rate.
   */
  cacheReadPerMTok?: number;
  cacheReadTiers?: PriceTier[];
  cacheWritePerMTok?: number;
  cacheWriteTiers?: PriceTier[];
}

export const UNKNOWN_PRICE: Readonly<Price> = Object.freeze({ inputPerMTok: 0, outputPerMTok: 0, source: 'unknown' });

/**
 * The price of `upstreamModel` at `provider`, which may be a provider kind from the config (priced as
 * its registry entry's `pricing` says) or a genai-prices provider id (`anthropic`, `google`, `groq`, …).
 * A provider name genai-prices does not know (e.g. `vllm`) falls back to matching the model name.
 */
export function priceFor(provider: string, upstreamModel: string, overrides: PriceOverrides = {}, at?: Date): Price {
  const override = overrides[upstreamModel];
  if (override) return { ...override, source: 'override' };
  const found = lookupCatalog(provider, upstreamModel, at);
  return found ? fromCatalog(found) : { ...UNKNOWN_PRICE };
}

/** Builds the overrides map from the config's models (`{ upstream, price? }`); a later model wins on a clash. */
export function priceOverridesFromModels(models: Readonly<Record<string, { upstream: string; price?: PriceOverride }>>): PriceOverrides {
  const out: Record<string, PriceOverride> = {};
  for (const m of Object.values(models)) if (m.price) out[m.upstream] = m.price;
  return out;
}

function lookupCatalog(provider: string, model: string, at?: Date): PriceCalculation | null {
  const providerId = catalogProviderId(provider.trim().toLowerCase());
  if (providerId === null) return null;
  try {
    // Zero usage: only `model_price` is wanted; the catalog applies date-constrained prices for `at`.
    return calcPrice({}, model, { ...(providerId ? { providerId } : {}), ...(at ? { timestamp: at } : {}) });
  } catch {
    return null; // malformed catalog entry: treat as unknown rather than fail the request
  }
}

/**
 * The genai-prices provider id to look `provider` up under: a kind's declared pricing (the registry,
 * src/providers/registry.ts), else the name itself when the catalog knows it. Undefined: match by
 * model name only (needed because genai-prices resolves a providerId by substring, so
 * `openai-compatible` would silently mean OpenAI); null: never priced.
 */
function catalogProviderId(provider: string): string | undefined | null {
  const pricing = pricingOf(provider);
  if (pricing?.by === 'none') return null;
  if (pricing?.by === 'model') return undefined;
  const id = pricing?.by === 'provider' ? pricing.providerId : provider;
  return findProvider({ providerId: id }) !== undefined ? id : undefined;
}

type CatalogRate = number | { base: number; tiers: { start: number; price: number }[] } | undefined;

function fromCatalog(calc: PriceCalculation): Price {
  const input = splitRate(calc.model_price.input_mtok as CatalogRate);
  const output = splitRate(calc.model_price.output_mtok as CatalogRate);
  const price: Price = {
    inputPerMTok: input.base,
    outputPerMTok: output.base,
    source: 'genai-prices',
    catalog: { provider: calc.provider.id, model: calc.model.id },
  };
  if (input.tiers.length) price.inputTiers = input.tiers;
  if (output.tiers.length) price.outputTiers = output.tiers;
  const read = calc.model_price.cache_read_mtok as CatalogRate;
  const write = calc.model_price.cache_write_mtok as CatalogRate;
  if (read !== undefined) Object.assign(price, tiered('cacheRead', splitRate(read)));
  if (write !== undefined) Object.assign(price, tiered('cacheWrite', splitRate(write)));
  return price;
}

function tiered(name: 'cacheRead' | 'cacheWrite', rate: { base: number; tiers: PriceTier[] }): Partial<Price> {
  return { [`${name}PerMTok`]: rate.base, ...(rate.tiers.length ? { [`${name}Tiers`]: rate.tiers } : {}) };
}

function splitRate(rate: CatalogRate): { base: number; tiers: PriceTier[] } {
  if (rate === undefined) return { base: 0, tiers: [] };
  if (typeof rate === 'number') return { base: rate, tiers: [] };
  const tiers = [...rate.tiers]
    .sort((a, b) => a.start - b.start)
    .map((t) => ({ aboveInputTokens: t.start, perMTok: t.price }));
  return { base: rate.base, tiers };
}
