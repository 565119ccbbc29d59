import { priceFor, type Price, type PriceOverrides, type PriceTier } from './prices';

/**
 * Token counts as the OpenAI API reports them (`usage` of a chat completion). `prompt_tokens`
 * includes cached tokens: cache reads in `prompt_tokens_details.cached_tokens`, cache writes (an
 * Anthropic extra) in `cache_creation_input_tokens`. Read defensively: they come from providers.
 */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: unknown;
  cache_creation_input_tokens?: unknown;
}

/** USD for `usage` at `price`. Tiered (long-context) prices apply to the whole request, as providers bill them. */
export function costOf(usage: TokenUsage, price: Price): number {
  const prompt = Math.max(0, usage.prompt_tokens);
  const completion = Math.max(0, usage.completion_tokens);
  const { inputPerMTok, outputPerMTok } = ratesAt(price, prompt);
  // Cached tokens are part of `prompt`: each kind at its own rate, never more tokens than the prompt has.
  const read = Math.min(prompt, count((usage.prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens));
  const written = Math.min(prompt - read, count(usage.cache_creation_input_tokens));
  const readRate = price.cacheReadPerMTok === undefined ? inputPerMTok : rateAt(price.cacheReadPerMTok, price.cacheReadTiers, prompt);
  const writeRate = price.cacheWritePerMTok === undefined ? inputPerMTok : rateAt(price.cacheWritePerMTok, price.cacheWriteTiers, prompt);
  const input = (prompt - read - written) * inputPerMTok + read * readRate + written * writeRate;
  return (input + completion * outputPerMTok) / 1_000_000;
}

const count = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);

/** The input and output rates (USD per 1M tokens) that apply to a request with this many prompt tokens. */
export function ratesAt(price: Price, promptTokens: number): { inputPerMTok: number; outputPerMTok: number } {
  return {
    inputPerMTok: rateAt(price.inputPerMTok, price.inputTiers, promptTokens),
    outputPerMTok: rateAt(price.outputPerMTok, price.outputTiers, promptTokens),
  };
}

/** Tiers are chosen by the prompt size for both directions (genai-prices' rule). */
function rateAt(base: number, tiers: readonly PriceTier[] | undefined, promptTokens: number): number {
  let rate = base;
  for (const tier of tiers ?? []) if (promptTokens > tier.aboveInputTokens) rate = tier.perMTok;
  return rate;
}

export interface RequestCostInput {
  upstreamModel: string;
  /** Provider kind or genai-prices provider id (see `priceFor`). */
  provider: string;
  promptTokens: number;
  /** The request's `max_tokens` / `max_completion_tokens`, or the gateway's default cap. */
  maxOutputTokens: number;
}

export interface RequestCostEstimate {
  /** Upper-bound USD: the prompt plus every allowed output token. */
  usd: number;
  price: Price;
}

/** What a request may cost at most, for budget reservations before the call. */
export function estimateRequestCost(req: RequestCostInput, prices: PriceOverrides = {}): RequestCostEstimate {
  const price = priceFor(req.provider, req.upstreamModel, prices);
  const usd = costOf({ prompt_tokens: req.promptTokens, completion_tokens: req.maxOutputTokens }, price);
  return { usd, price };
}

/** `$50.00`, `$0.002`, `$0.000015`: as many decimals as the amount needs (2 to 8), so a small limit never reads `$0.00`. */
export function formatUsd(usd: number): string {
  for (let d = 2; d < 8; d++) if (Math.abs(Number(usd.toFixed(d)) - usd) < 1e-12) return `$${usd.toFixed(d)}`;
  return `$${usd.toFixed(8)}`;
}
