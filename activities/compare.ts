import { Context } from '@temporalio/activity';
import { agreement } from '../src/canary/agreement';
import type { ComparisonRecord } from '../src/canary/samples';
import type { Usage } from '../src/config/api';
import type { CompareMethod } from '../src/config/release';
import { fromFailure } from '../src/errors';
import type { GatewayResponse } from '../src/temporal/contract';
import { routeByName } from '../src/routing';
import { validateAnswer } from '../src/admission/admit';
import { INLINE_ONLY } from '../src/admission/cpuPool';
import type { ActivityDeps } from './deps';
import { priceOf } from './ledger';

/** What the shadow workflow learned about its candidate (plain data: it is in the shadow's history). */
export interface ShadowComparisonInput {
  /** The shadowed (primary) request. */
  requestId: string;
  route: string;
  routeTableVersion: number | null;
  compare: CompareMethod;
  /** The request's `response_format` (a json_schema there is checked, as for the primary). */
  responseFormat: unknown;
  candidate: {
    model: string;
    ok: boolean;
    error: string | null;
    latencyMs: number | null;
    usage: Usage | null;
    pricedAs: { providerKind: string; upstream: string };
    content: string | null;
  };
}

export interface ComparisonSummary {
  primaryOk: boolean | null;
  candidateOk: boolean;
  agreement: number | null;
}

interface PrimarySide {
  ok: boolean | null;
  model: string | null;
  error: string | null;
  content: string | null;
  latencyMs: number | null;
  costUsd: number | null;
  valid: boolean | null;
}

/** How long a comparison waits for the primary (it may be held for review); then it records the candidate alone. */
const PRIMARY_WAIT_MS = 10 * 60_000;
const UNKNOWN: PrimarySide = { ok: null, model: null, error: null, content: null, latencyMs: null, costUsd: null, valid: null };

export function createCompareActivities(deps: ActivityDeps) {
  return {
    /**
     * Waits for the primary request's own result, then validates the shadow's answer with the
     * route's rules (after the primary is done, so this work never competes with the caller's
     * request), scores the two answers (src/canary/agreement.ts), records the pair in `comparisons`
     * (idempotent on the request id) and lets the route's automatic rollback look at the outcome.
     */
    async compareShadow(input: ShadowComparisonInput): Promise<ComparisonSummary> {
      const release = deps.release;
      if (!release) return { primaryOk: null, candidateOk: input.candidate.ok, agreement: null };
      const primary = await awaitPrimary(release.primaryResult, input.requestId);
      const c = input.candidate;
      const valid = c.content === null ? null : await validity(deps, input.route, c.content, input.responseFormat);
      const score = primary.content !== null && c.content !== null ? agreement(primary.content, c.content, input.compare) : undefined;
      const row: ComparisonRecord = {
        requestId: input.requestId,
        route: input.route,
        routeTableVersion: input.routeTableVersion,
        primaryModel: primary.model,
        candidateModel: c.model,
        primaryOk: primary.ok,
        primaryError: primary.error,
        primaryLatencyMs: primary.latencyMs,
        primaryCostUsd: primary.costUsd,
        primaryValid: primary.valid,
        candidateOk: c.ok,
        candidateError: c.error,
        candidateLatencyMs: c.latencyMs,
        candidateCostUsd: c.usage ? priceOf(deps, c.usage, c.pricedAs) : null,
        candidateValid: valid,
        agreement: score?.score ?? null,
        agreementMethod: score?.method ?? null,
      };
      if (await release.comparisons.record(row)) countShadow(deps, row);
      release.autoRollback.afterOutcome(input.route, 'shadow');
      return { primaryOk: primary.ok, candidateOk: c.ok, agreement: row.agreement };
    },
  };
}

/** Counted once per pair (a retried activity finds its row written); never failing the comparison. */
function countShadow(deps: ActivityDeps, row: ComparisonRecord): void {
  try {
    deps.metrics?.shadowCompared(row);
  } catch (err) {
    deps.logger.warn({ err }, 'could not count a shadow comparison');
  }
}

async function awaitPrimary(get: ((id: string, signal: AbortSignal) => Promise<GatewayResponse>) | undefined, requestId: string): Promise<PrimarySide> {
  if (!get) return UNKNOWN;
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 5_000);
  const signal = AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(PRIMARY_WAIT_MS)]);
  try {
    return primarySide(await get(requestId, signal));
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw err;
    if (signal.aborted) return UNKNOWN; // still waiting (e.g. for a reviewer): the candidate is recorded alone
    return { ...UNKNOWN, ok: false, error: fromFailure(err)?.code ?? 'error' };
  } finally {
    clearInterval(beat);
  }
}

function primarySide(r: GatewayResponse): PrimarySide {
  const g = r.gatehouse;
  const answering = [...g.attempts].reverse().find((a) => a.model === g.model && a.outcome === 'ok');
  return {
    ok: true,
    model: g.model,
    error: null,
    content: r.choices[0]?.message.content ?? '',
    latencyMs: answering?.latencyMs ?? g.latency_ms,
    costUsd: g.cost_usd,
    valid: answering?.validation?.ok ?? null,
  };
}

/** The route's checks on the shadow's answer; null when nothing asks for one. */
async function validity(deps: ActivityDeps, route: string, content: string, responseFormat: unknown): Promise<boolean | null> {
  const rules = routeByName(route, deps.config())?.validation;
  const result = await validateAnswer(deps.cpu ?? INLINE_ONLY, content, rules, responseFormat);
  return result.checks.length > 0 ? result.ok : null;
}

