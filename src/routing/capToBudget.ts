import { MIN_ANSWER_TOKENS, affordableOutputTokens, outputCap, type Price } from '../cost';
import type { Candidate, RoutePlan } from './planRoute';

export interface BudgetCapInput {
  /** What the budget reserved for this request (USD). */
  reservedUsd: number;
  promptTokens: number;
  /** The caller's max_tokens / max_completion_tokens, or the gateway's default output allowance. */
  requested: number;
  priceOf: (c: Candidate) => Price;
}

/**
 * Pure: the plan under a budget. Every candidate carries the output cap its price allows within the
 * reservation (src/cost/outputCap.ts); a candidate that cannot give even a minimal answer within it
 * (a dearer fallback) is dropped and the explanation says so. May leave no candidate: the caller refuses.
 */
export function capPlanToBudget<P extends Pick<RoutePlan, 'candidates' | 'explanation'>>(plan: P, i: BudgetCapInput): P {
  const candidates: Candidate[] = [];
  const notes: string[] = [];
  // A caller who asked for fewer tokens than the minimum gets what it asked for.
  const minimal = Math.min(MIN_ANSWER_TOKENS, i.requested);
  for (const c of plan.candidates) {
    const price = i.priceOf(c);
    const cap = outputCap({ reservedUsd: i.reservedUsd, promptTokens: i.promptTokens, price, requested: i.requested });
    // The prompt alone over the reservation: dropped even when no answer is asked for (embeddings).
    if (cap < minimal || affordableOutputTokens(i.reservedUsd, i.promptTokens, price) < 0) {
      notes.push(`${c.model}: over budget`);
      continue;
    }
    if (cap < i.requested) notes.push(`${c.model}: answer capped at ${cap} tokens by the budget`);
    candidates.push({ ...c, maxOutputTokens: cap });
  }
  const explanation = notes.length ? `${plan.explanation}; ${notes.join('; ')}` : plan.explanation;
  return { ...plan, candidates, explanation };
}
