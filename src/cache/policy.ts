import type { ChatCompletionRequest } from '../config/api';
import { canonicalJson } from '../requests/canonical';
import type { RouteCache } from '../config/cache';
import type { DataClass } from '../config/routing';

/** What the caller's `Cache-Control` asked: `no-cache` (answer fresh, may store), `no-store` (neither). */
export type CacheDirective = 'no-cache' | 'no-store';

/** Whether this request reads the cache and whether its answer may be kept, and if not, why. */
export interface CacheUse {
  lookup: boolean;
  store: boolean;
  /** Why neither (for the explanation and the ledger): `temperature`, `data_class`, `review`, `caller`. */
  skipped?: 'temperature' | 'data_class' | 'review' | 'caller';
}

export interface CacheQuery {
  body: ChatCompletionRequest;
  dataClass: DataClass;
  /** Held for a human (or a route that reviews answers): a decision is per request, never reused. */
  reviewed: boolean;
  directive?: CacheDirective;
}

const NONE: CacheUse = { lookup: false, store: false };

/** Pure: how a request on a caching route uses the cache. */
export function cacheUse(cache: RouteCache | undefined, q: CacheQuery): CacheUse {
  if (!cache) return NONE;
  if (q.reviewed) return { ...NONE, skipped: 'review' };
  if (!cache.dataClasses.includes(q.dataClass)) return { ...NONE, skipped: 'data_class' };
  const t = q.body.temperature;
  if (!cache.anyTemperature && t !== undefined && t !== null && t > 0) return { ...NONE, skipped: 'temperature' };
  const directive = cache.callerBypass === 'allow' ? q.directive : undefined;
  if (directive === 'no-store') return { ...NONE, skipped: 'caller' };
  return { lookup: directive !== 'no-cache', store: true };
}

/** `Cache-Control` request header → the directive we honour (the strongest one named). */
export function parseCacheControl(header: string | undefined): CacheDirective | undefined {
  if (!header) return undefined;
  const parts = header.toLowerCase().split(',').map((p) => p.trim().split('=')[0]);
  if (parts.includes('no-store')) return 'no-store';
  if (parts.includes('no-cache') || parts.includes('max-age')) return 'no-cache';
  return undefined;
}

/** Who shares an entry: `caller:<name>`, `team:<team>` or `global`. */
export function cacheScope(cache: RouteCache, who: { caller: string; team: string }): string {
  if (cache.scope === 'global') return 'global';
  return cache.scope === 'team' ? `team:${who.team}` : `caller:${who.caller}`;
}

/** Fields that never change the answer (transport, bookkeeping), left out of the key. */
const NOT_IN_KEY: ReadonlySet<string> = new Set(['model', 'stream', 'stream_options', 'user', 'metadata', 'store', 'service_tier']);

/**
 * Pure: the request as the cache key sees it, as canonical JSON (object keys sorted at every level),
 * so the same request spelled in another key order is the same entry. The caller hashes it.
 */
export function canonicalRequest(body: ChatCompletionRequest): string {
  const kept = Object.fromEntries(Object.entries(body).filter(([k, v]) => !NOT_IN_KEY.has(k) && v !== undefined));
  return canonicalJson(kept);
}
