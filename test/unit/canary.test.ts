import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agreement } from '../../src/canary/agreement';
import { canaryReport } from '../../src/canary/report';
import { rollbackDecision, settingSince, withShareZero } from '../../src/canary/rollback';
import type { ComparisonRecord, LedgerSampleRow, SideOutcome } from '../../src/canary/samples';
import { sinceTime } from '../../src/canary/since';
import { percentile } from '../../src/canary/stats';
import { parseConfigObject, parseDuration, type RouteConfig } from '../../src/config';
import { RollbackSchema } from '../../src/config/release';
import { planRoute, type PlanRequest } from '../../src/routing';

describe('agreement scoring', () => {
  it('exact: equal after normalizing case, whitespace and a trailing period', () => {
    assert.deepEqual(agreement(' Billing.', 'billing', 'exact'), { score: 1, method: 'exact' });
    assert.equal(agreement('billing', 'refund', 'exact').score, 0);
  });

  it('text: token-set Jaccard over lower-cased words', () => {
    assert.equal(agreement('The cat sat', 'the CAT sat!', 'text').score, 1);
    assert.equal(agreement('a b c', 'b c d', 'text').score, 2 / 4);
    assert.equal(agreement('', '', 'text').score, 1);
    assert.equal(agreement('yes', '', 'text').score, 0);
  });

  it('json: share of leaf fields that agree; fences allowed; not-JSON agrees with nothing', () => {
    const a = '{"name":"Ann","age":30,"tags":["x","y"]}';
    const b = '```json\n{"name":"Ann","age":31,"tags":["x","z"],"extra":true}\n```';
    // leaves: name (=), age (≠), tags.0 (=), tags.1 (≠), extra (only b) → 2 / 5
    assert.deepEqual(agreement(a, b, 'json'), { score: 2 / 5, method: 'json' });
    assert.equal(agreement(a, 'not json', 'json').score, 0);
  });

  it('auto: json when both answers are JSON, else text', () => {
    assert.equal(agreement('{"a":1}', '{"a":1}').method, 'json');
    assert.equal(agreement('{"a":1}', 'a is 1').method, 'text');
    assert.equal(agreement('42', '42').method, 'text', 'a JSON scalar is just text');
  });
});

const route = parseConfigObject({
  providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
  models: { prim: { provider: 'p', upstream: 'u1' }, cand: { provider: 'p', upstream: 'u2' }, shad: { provider: 'p', upstream: 'u3' } },
  callers: { bot: { team: 't', tasks: ['chat'], keyHash: `sha256:${'a'.repeat(64)}` } },
  routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'prim', canary: { model: 'cand', share: 0.1 }, shadow: { model: 'shad', share: 0.05 } }],
}).routes[0]!;

/** A ledger row as the Ledger writes it. */
function row(stage: 'stable' | 'canary', attempts: unknown[], extra: Partial<LedgerSampleRow> = {}): LedgerSampleRow {
  return { stage, status: 'completed', latency_ms: 999, cost_usd: 0.01, attempts: JSON.stringify(attempts), review: null, created_at: '2026-01-01T00:00:00.000Z', route_table_version: 3, ...extra };
}

const ok = (model: string, latencyMs: number, validation?: boolean) => ({ model, outcome: 'ok', latencyMs, ...(validation === undefined ? {} : { validation: { ok: validation, summary: '', failed: [] } }) });
const failed = (model: string, error = 'ProviderServerError') => ({ model, outcome: 'failed', error });
const reviewed = (action: string) => JSON.stringify({ decision: { action, by: 'alice' } });

const LEDGER: LedgerSampleRow[] = [
  row('stable', [ok('prim', 100, true)], { cost_usd: 0.01 }),
  row('stable', [ok('prim', 200, true)], { cost_usd: 0.02, review: reviewed('edit') }),
  row('stable', [ok('prim', 300, false)], { cost_usd: 0.03, review: reviewed('approve') }),
  row('stable', [failed('prim'), ok('cand', 50)], { cost_usd: 0.0 }),
  row('stable', [], { status: 'denied', cost_usd: 0 }), // never reached a model: not counted
  row('canary', [ok('cand', 400, true)], { cost_usd: 0.04, review: reviewed('reject') }),
  row('canary', [failed('cand'), failed('cand'), ok('prim', 120, true)], { cost_usd: 0.01 }),
  row('canary', [{ model: 'cand', outcome: 'failed', error: 'OutputValidationFailed', latencyMs: 500, validation: { ok: false, summary: '', failed: ['fields'] } }], { status: 'failed', cost_usd: 0 }),
];

function pair(over: Partial<ComparisonRecord>): ComparisonRecord {
  return {
    requestId: Math.random().toString(36), route: 'chat', routeTableVersion: 3, primaryModel: 'prim', candidateModel: 'shad',
    primaryOk: true, primaryError: null, primaryLatencyMs: 100, primaryCostUsd: 0.01, primaryValid: true,
    candidateOk: true, candidateError: null, candidateLatencyMs: 200, candidateCostUsd: 0.002, candidateValid: true,
    agreement: 1, agreementMethod: 'text', ...over,
  };
}

const PAIRS: ComparisonRecord[] = [
  pair({}),
  pair({ agreement: 0.5, candidateValid: false, candidateLatencyMs: 300 }),
  pair({ candidateOk: false, candidateError: 'ProviderTimeout', candidateLatencyMs: null, candidateCostUsd: null, candidateValid: null, agreement: null }),
  pair({ primaryOk: null, primaryModel: null, primaryLatencyMs: null, primaryCostUsd: null, primaryValid: null, agreement: null }),
];

describe('canary report from known fixtures', () => {
  const r = canaryReport({ route, since: '2026-01-01T00:00:00.000Z', routeTableVersion: 3, requests: LEDGER, comparisons: PAIRS });

  it('split: primary (stable) vs candidate (canary) side by side', () => {
    assert.deepEqual(r.split.primary, {
      requests: 4,
      errorRate: 1 / 4, // the 4th row's first model (prim) failed
      validationPassRate: 2 / 3,
      p50LatencyMs: 200, // 100, 200, 300 (the failed first model has no latency)
      p95LatencyMs: 300,
      costPerRequestUsd: 0.06 / 4,
      reviewEditRate: 1 / 2,
      reviewRejectRate: 0,
    });
    assert.deepEqual(r.split.candidate, {
      requests: 3,
      errorRate: 1 / 3, // only the second row: cand never answered; the third answered but failed validation
      validationPassRate: 1 / 2,
      p50LatencyMs: 400, // 400 and the invalid answer's 500
      p95LatencyMs: 500,
      costPerRequestUsd: 0.05 / 3,
      reviewEditRate: 0,
      reviewRejectRate: 1,
    });
    assert.equal(r.split.candidateModel, 'cand');
  });

  it('shadow pairs: both sides and the agreement', () => {
    assert.equal(r.shadowPairs.pairs, 4);
    assert.equal(r.shadowPairs.primary.requests, 3, 'a pair whose primary never finished has no primary side');
    assert.equal(r.shadowPairs.candidate.requests, 4);
    assert.equal(r.shadowPairs.candidate.errorRate, 1 / 4);
    assert.equal(r.shadowPairs.candidate.validationPassRate, 2 / 3);
    assert.equal(r.shadowPairs.candidate.p50LatencyMs, 200);
    assert.equal(r.shadowPairs.candidate.reviewEditRate, null, 'no reviews: n/a');
    assert.deepEqual(r.shadowPairs.agreement, { mean: 0.75, min: 0.5, scored: 2 });
    assert.deepEqual(r.shadow, { model: 'shad', share: 0.05, compare: 'auto' });
  });

  it('percentiles are nearest-rank', () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95), 95);
    assert.equal(percentile([], 50), null);
  });
});

describe('automatic rollback decision', () => {
  const rule = RollbackSchema.parse({ maxErrorRate: 0.5, maxValidationFailureRate: 0.2, minRequests: 4, window: '5m' });
  const o = (error: boolean, valid: boolean | null = null): SideOutcome => ({ error, valid, latencyMs: 1, costUsd: 0, review: null });

  it('no decision below minRequests', () => {
    assert.deepEqual(rollbackDecision([o(true), o(true), o(true)], rule), { rollback: false, outcomes: 3 });
  });

  it('rolls back past the error rate, naming it', () => {
    const d = rollbackDecision([o(true), o(true), o(true), o(false)], rule);
    assert.deepEqual(d, { rollback: true, outcomes: 4, reason: 'error rate 75% (3/4) > 50% in the last 5m' });
  });

  it('at the threshold is not past it; validation failures count over validated answers only', () => {
    assert.equal(rollbackDecision([o(true), o(true), o(false), o(false)], rule).rollback, false);
    const d = rollbackDecision([o(false, true), o(false, true), o(false, false), o(false, null)], rule);
    assert.deepEqual(d, { rollback: true, outcomes: 4, reason: 'validation failure rate 33.3% (1/3) > 20% in the last 5m' });
  });

  it('only outcomes since the current setting count; the zero-share table keeps everything else', () => {
    const v = (version: number, share: number) => ({ version, routes: [{ ...route, canary: { ...route.canary!, share } }] });
    assert.equal(settingSince([v(5, 0.2), v(4, 0.2), v(3, 0), v(2, 0.2)], 'chat', (r) => r.canary), 4);
    assert.equal(settingSince([v(5, 0.2)], 'chat', (r) => r.canary), 5);
    const zero = withShareZero([route], 'chat', 'canary');
    assert.deepEqual(zero, [{ ...route, canary: { ...route.canary!, share: 0 } }]);
    assert.equal(zero[0]!.shadow!.share, 0.05, 'the shadow is untouched');
  });

  it('--since: a duration back from now, or an ISO date', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    assert.equal(sinceTime('1h', now), '2026-01-01T23:00:00.000Z');
    assert.equal(sinceTime('2026-01-01', now), '2026-01-01T00:00:00.000Z');
    assert.equal(sinceTime('yesterday', now), undefined);
  });
});

describe('shadow sampling in the planner', () => {
  const table = parseConfigObject({
    providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
    models: { prim: { provider: 'p', upstream: 'u1' }, shad: { provider: 'p', upstream: 'u3' }, wide: { provider: 'p', upstream: 'u4', dataClasses: ['public', 'internal', 'confidential'] } },
    callers: { bot: { team: 't', tasks: ['chat'], keyHash: `sha256:${'a'.repeat(64)}` } },
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'wide', shadow: { model: 'shad', share: 0.2, compare: 'exact' } }],
  });
  const r: RouteConfig = table.routes[0]!;
  const req = (requestId: string, dataClass: PlanRequest['dataClass'] = 'internal'): PlanRequest => ({
    requestId, caller: 'bot', task: 'chat', requestedModel: 'auto', risk: 'low', dataClass, latency: 'realtime', forcePrivate: false, promptTokens: 1, maxOutputTokens: 1, downgrade: false,
  });
  const ctx = { table, isAvailable: () => true, estimateCostUsd: () => undefined, parseDuration };

  it('samples ~share of 2,000 request ids (±3 points), stable per id; the caller still gets the primary', () => {
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const p = planRoute(req(`req-${i}`), r, ctx);
      assert.deepEqual(p.candidates.map((c) => c.model), ['wide']);
      if (p.shadow) {
        sampled++;
        assert.equal(p.shadow.candidate.model, 'shad');
        assert.equal(p.shadow.compare, 'exact');
      }
      assert.equal(Boolean(planRoute(req(`req-${i}`), r, ctx).shadow), Boolean(p.shadow), 'stable per request id');
    }
    assert.ok(Math.abs(sampled / 2000 - 0.2) <= 0.03, `shadow share ${sampled / 2000}`);
  });

  it('never shadows to a model that may not see the data, or one the kill switch holds', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `req-${i}`);
    assert.ok(ids.every((id) => !planRoute(req(id, 'confidential'), r, ctx).shadow));
    assert.ok(ids.every((id) => !planRoute(req(id), r, { ...ctx, isDisabled: (m) => (m === 'shad' ? 'off' : undefined) }).shadow));
  });
});
