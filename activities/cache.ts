import { createHash } from 'node:crypto';
import { cacheScope, cacheUse, canonicalRequest, type CacheDirective } from '../src/cache/policy';
import type { ChatCompletion, ChatCompletionRequest } from '../src/config/api';
import { parseDuration } from '../src/config';
import type { RouteConfig } from '../src/config/schema';
import type { Candidate } from '../src/routing';
import type { CacheEntry } from '../src/store/responseCache';
import type { Admission } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { priceOf } from './ledger';

/** A hit: the answer kept earlier, and what calling for it again would have cost. */
export interface CachedAnswer {
  completion: ChatCompletion;
  model: string;
  savedCostUsd: number;
  /** Age of the entry when it was read, in ms. */
  ageMs: number;
}

/** How this request uses its route's cache: the key to store its answer under, and the hit if any. */
export interface CachePlan {
  key: string;
  /** The planned model the key names: only its own answer is kept under it. */
  model: string;
  ttlMs: number;
  /** Absent: a miss, or the caller said `no-cache` (the fresh answer is still kept). */
  hit?: CachedAnswer;
}

export interface CacheLookup {
  route: RouteConfig | undefined;
  admission: Admission;
  body: ChatCompletionRequest;
  first: Candidate | undefined;
  directive?: CacheDirective;
}

/**
 * The route's cache for this request (in prepareRequest: no extra workflow step): undefined when
 * the route does not cache or the request may not use it. The key: scope, route, the planned
 * model and a hash of the request as the provider would see it (redacted messages included).
 */
export async function lookUpCache(deps: ActivityDeps, q: CacheLookup): Promise<CachePlan | undefined> {
  const cache = q.route?.cache;
  if (!cache || !deps.cache || !q.first) return undefined;
  const reviewed = q.admission.holdForReview !== undefined || q.route!.review !== undefined;
  const use = cacheUse(cache, { body: q.body, dataClass: q.admission.dataClass, reviewed, directive: q.directive });
  if (!use.store) return undefined;
  const scope = cacheScope(cache, q.admission);
  const hash = createHash('sha256').update(canonicalRequest(q.body)).digest('base64url');
  const key = `${scope}|${q.route!.name}|${q.first.model}|${hash}`;
  const plan: CachePlan = { key, model: q.first.model, ttlMs: parseDuration(cache.ttl) };
  if (!use.lookup) return plan;
  const entry = await readEntry(deps, key);
  if (entry) plan.hit = toCached(deps, entry);
  return plan;
}

/** A cache that cannot be read is a miss, never a failed request. */
async function readEntry(deps: ActivityDeps, key: string): Promise<CacheEntry | undefined> {
  try {
    return await deps.cache!.get(key);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'response cache unreadable: answering fresh');
    return undefined;
  }
}

function toCached(deps: ActivityDeps, e: CacheEntry): CachedAnswer {
  const saved = e.completion.usage && e.pricedAs ? priceOf(deps, e.completion.usage, e.pricedAs) : 0;
  return { completion: e.completion, model: e.model, savedCostUsd: saved, ageMs: Math.max(0, Date.now() - e.storedAt) };
}

export interface StoreAnswerInput {
  key: string;
  ttlMs: number;
  completion: ChatCompletion;
  model: string;
  pricedAs?: CacheEntry['pricedAs'];
}

export function createCacheActivities(deps: ActivityDeps) {
  return {
    /** Local activity, after a fresh answer passed its checks: kept for the route's `ttl`. Never fails the request. */
    async storeAnswer(input: StoreAnswerInput): Promise<void> {
      if (!deps.cache) return;
      try {
        await deps.cache.put(input.key, { completion: input.completion, model: input.model, pricedAs: input.pricedAs, storedAt: Date.now() }, input.ttlMs);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'response cache unwritable: answer not kept');
      }
    },
  };
}
