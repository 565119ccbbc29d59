import type { PlannedRequest } from '../activities/plan';
import type { PreparedRequest } from '../activities/prepare';
import type { Candidate } from '../src/routing';
import type { AttemptRecord } from '../src/temporal/contract';
import type { Answer } from './callWithFallback';
import type { StoreAnswerInput } from '../activities/cache';

/** A cache hit as the answer of the planned model: no provider call, one attempt that says so. */
export function answerFromCache(prepared: PreparedRequest, plan: PlannedRequest): { answer: Answer; attempt: AttemptRecord } | undefined {
  const hit = prepared.cache?.hit;
  if (!hit) return undefined;
  const candidate: Candidate = plan.candidates.find((c) => c.model === hit.model) ?? { ...plan.candidates[0]!, model: hit.model };
  return {
    answer: { completion: hit.completion, latencyMs: 0, candidate },
    attempt: { model: candidate.model, ...(candidate.deployment ? { deployment: candidate.deployment } : {}), outcome: 'ok', try: 1, latencyMs: 0, cached: true },
  };
}

/**
 * What to keep of a fresh answer for the route's `ttl` — only the planned model's own answer (the
 * key names it), never a reduced-output one or one a reviewer decided; undefined: nothing.
 */
export function answerToKeep(prepared: PreparedRequest, answer: Answer, reviewed: boolean): StoreAnswerInput | undefined {
  const c = prepared.cache;
  if (!c || reviewed || answer.degraded || c.model !== answer.candidate.model) return undefined;
  const pricedAs = { providerKind: answer.candidate.providerKind ?? answer.candidate.provider, upstream: answer.candidate.upstream };
  return { key: c.key, ttlMs: c.ttlMs, completion: answer.completion, model: answer.candidate.model, pricedAs };
}
