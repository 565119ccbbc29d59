export { estimateTokens, tokenizerFor, IMAGE_PART_TOKENS, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, TOKENS_PER_NAME } from './tokens';
export {
  PriceOverrideSchema,
  UNKNOWN_PRICE,
  priceFor,
  priceOverridesFromModels,
  type Price,
  type PriceOverride,
  type PriceOverrides,
  type PriceTier,
} from './prices';
export { costOf, estimateRequestCost, formatUsd, ratesAt, type RequestCostEstimate, type RequestCostInput, type TokenUsage } from './cost';
export { MIN_ANSWER_TOKENS, affordableOutputTokens, outputCap, type OutputCapInput } from './outputCap';
