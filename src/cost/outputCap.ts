import { ratesAt } from './cost';
import type { Price } from './prices';

/**
 * The answer's cap under a budget. A budget reservation pays for the estimated prompt plus some
 * output; the provider is then asked for no more output than the rest of the reservation buys on the
 * model being called, so an answer longer than expected cannot spend past the budget. What is left
 * is the prompt estimate's error (the real tokenizer may count more than ours), never the answer.
 */

/** Below this many output tokens an answer is not worth calling for: the budget refuses instead. */
export const MIN_ANSWER_TOKENS = 16;

/**
 * Output tokens that `usd` pays for after a prompt of `promptTokens` at `price`. Infinity when output
 * is free; negative when even the prompt does not fit. Rounded down (a part token is not bought).
 */
export function affordableOutputTokens(usd: number, promptTokens: number, price: Price): number {
  const { inputPerMTok, outputPerMTok } = ratesAt(price, promptTokens);
  const left = usd * 1_000_000 - Math.max(0, promptTokens) * inputPerMTok;
  if (outputPerMTok <= 0) return left >= 0 ? Infinity : -1;
  // The epsilon absorbs float error (a reservation of exactly N tokens must buy N, not N-1).
  return Math.floor(left / outputPerMTok + 1e-6);
}

export interface OutputCapInput {
  /** What the budget reserved for this request (USD). */
  reservedUsd: number;
  /** The prompt estimate the reservation was made with. */
  promptTokens: number;
  /** The price of the model about to be called. */
  price: Price;
  /** The caller's max_tokens / max_completion_tokens, or the gateway's default output allowance. */
  requested: number;
}

/**
 * The max output tokens to send to this model: the requested limit, lowered to what the
 * reservation pays for. Below MIN_ANSWER_TOKENS the model cannot be called within the budget.
 */
export function outputCap(i: OutputCapInput): number {
  return Math.max(0, Math.min(i.requested, affordableOutputTokens(i.reservedUsd, i.promptTokens, i.price)));
}
