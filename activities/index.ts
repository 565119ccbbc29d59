import { createProviderActivities } from './callProvider';
import { createCompareActivities } from './compare';
import type { ActivityDeps } from './deps';
import { createEmbeddingsActivities } from './embeddings';
import { createLedgerActivities } from './ledger';
import { createCacheActivities } from './cache';
import { createPrepareActivities } from './prepare';
import { createReviewActivities } from './review';
import { createValidationActivities } from './validation';
import { createWebhookActivities } from './webhook';

export type { ActivityDeps } from './deps';
export type { ProviderCallInput, ProviderCallResult, ProviderFailureDetails } from './callProvider';
export type { EmbeddingsCallInput, EmbeddingsCallResult } from './embeddings';

/** All activities, built from their dependencies (the worker is the one place that wires real ones). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPrepareActivities(deps),
    ...createProviderActivities(deps),
    ...createEmbeddingsActivities(deps),
    ...createLedgerActivities(deps),
    ...createCacheActivities(deps),
    ...createValidationActivities(deps),
    ...createReviewActivities(deps),
    ...createWebhookActivities(deps),
    ...createCompareActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
