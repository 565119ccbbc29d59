/** Why the planner left a model out of a request's candidates: typed, so decisions never parse text. */
export type SkipReason =
  /** An embeddings request, a chat model. */
  | 'not_embedding'
  /** A chat request, an embedding model. */
  | 'not_chat'
  /** The catalogue: proposed, never planned. */
  | 'not_approved'
  /** The catalogue: retired (detail: since when, if dated). */
  | 'retired'
  /** The kill switch holds the model. */
  | 'disabled'
  /** The model may not see this request's data class (detail: the class). */
  | 'data_class'
  /** Policy forces a private model; this one is not. */
  | 'not_private'
  /** The caller's model allowlist leaves it out. */
  | 'caller_not_allowed'
  /** A batch-only model for a realtime request. */
  | 'batch_only'
  /** Prompt plus answer exceed its window (detail: `needed > window tokens`). */
  | 'context_too_small'
  /** Its estimate is over the route's `maxCostUsd` (detail: `$estimate > $limit`). */
  | 'over_cost_limit'
  /** Its circuit breaker is open. */
  | 'circuit_open'
  /** A deployment at its `rpm`/`tpm` for the last minute (detail: `used/limit rpm`). */
  | 'at_capacity';

export interface Skip {
  model: string;
  reason: SkipReason;
  detail?: string;
}

const TEXT: Record<SkipReason, (detail?: string) => string> = {
  not_embedding: () => 'not an embedding model',
  not_chat: () => 'an embedding model (not for chat)',
  not_approved: () => 'not approved',
  retired: (since) => (since ? `retired (since ${since})` : 'retired'),
  disabled: () => 'disabled (kill switch)',
  data_class: (dataClass) => `may not see ${dataClass} data`,
  not_private: () => 'not a private model',
  caller_not_allowed: () => 'not allowed for this caller',
  batch_only: () => 'batch only',
  context_too_small: (detail) => `context too small (${detail})`,
  over_cost_limit: (detail) => `over cost limit (${detail})`,
  circuit_open: () => 'circuit open',
  at_capacity: (detail) => `at capacity (${detail})`,
};

/** The reason in words, without the model (e.g. `circuit open`). */
export function reasonText(reason: SkipReason, detail?: string): string {
  return TEXT[reason](detail);
}

/** For the plan's explanation and error messages: `model: reason`. */
export function skipText(s: Skip): string {
  return `${s.model}: ${reasonText(s.reason, s.detail)}`;
}
