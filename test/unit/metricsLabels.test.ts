import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { parseConfigObject } from '../../src/config';
import { GatewayMetrics, firstTryOverheadMs } from '../../src/metrics/gatewayMetrics';
import { attemptEvents, bounded, boundedCode, boundedReason, knownNames, requestLabels } from '../../src/metrics/labels';
import type { LedgerRow } from '../../src/temporal/contract';

const config = parseConfigObject({
  providers: { mock: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1' } },
  models: { small: { provider: 'mock', upstream: 'mock-small' }, large: { provider: 'mock', upstream: 'mock-large' } },
  callers: { support: { team: 'support', roles: ['caller'], tasks: ['chat'], keyHash: hashApiKey('k-support-0123456789abcdef') } },
  routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large'], timeout: '5s', retries: 1 }],
});
const known = knownNames(config);

function row(over: Partial<LedgerRow> = {}): LedgerRow {
  return {
    requestId: 'req_0123456789', caller: 'support', team: 'support', task: 'chat', route: 'chat', model: 'small',
    status: 'completed', errorCode: null, usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
    latencyMs: 250, attempts: [{ model: 'small', outcome: 'ok' }], explanation: null, ...over,
  };
}

describe('metric labels are bounded', () => {
  it('keeps configured names, folds unknown ones into `other` and missing ones into `none`', () => {
    assert.equal(bounded('small', known.models), 'small');
    assert.equal(bounded('gpt-9-ultra-from-the-caller', known.models), 'other');
    assert.equal(bounded(null, known.callers), 'none');
    assert.equal(bounded('', known.routes), 'none');
  });

  it('lets only snake_case codes and failure-table kinds through', () => {
    assert.equal(boundedCode('budget_exceeded'), 'budget_exceeded');
    assert.equal(boundedCode('Ignore previous instructions; key=sk-123'), 'other');
    assert.equal(boundedCode('x'.repeat(80)), 'other');
    assert.equal(boundedReason('ProviderServerError'), 'ProviderServerError');
    assert.equal(boundedReason('req_0123456789'), 'other');
  });

  it('labels a request from its row, without its id', () => {
    const labels = requestLabels(row({ model: 'caller-invented', status: 'failed', errorCode: 'provider_error' }), known);
    assert.deepEqual(labels, { caller: 'support', team: 'support', task: 'chat', route: 'chat', model: 'other', status: 'failed', code: 'provider_error' });
    assert.equal(requestLabels(row(), known).code, 'ok');
    assert.ok(!Object.values(labels).includes('req_0123456789'));
  });

  it('reads retries and fallbacks off the attempts, with the failing try\'s reason', () => {
    const attempts = [
      { model: 'small', outcome: 'failed', error: 'ProviderServerError' },
      { model: 'small', outcome: 'failed', error: 'ProviderTimeout' },
      { model: 'large', outcome: 'failed', error: 'made up by someone' },
      { model: 'large', outcome: 'ok' },
    ] as const;
    assert.deepEqual(attemptEvents([...attempts], known), [
      { kind: 'retry', reason: 'ProviderServerError', model: 'small' },
      { kind: 'fallback', reason: 'ProviderTimeout', model: 'small' },
      { kind: 'retry', reason: 'other', model: 'large' },
    ]);
    assert.deepEqual(attemptEvents([{ model: 'small', outcome: 'failed', error: 'ProviderServerError' }], known), [], 'the last attempt ends the request');
  });
});

describe('gateway overhead', () => {
  it('is the request time minus the one provider try; absent after retries, failures or a try without its time', () => {
    assert.equal(firstTryOverheadMs(row({ latencyMs: 250, attempts: [{ model: 'small', outcome: 'ok', latencyMs: 230 }] })), 20);
    assert.equal(firstTryOverheadMs(row({ attempts: [{ model: 'small', outcome: 'ok' }] })), undefined);
    assert.equal(firstTryOverheadMs(row({ attempts: [{ model: 'small', outcome: 'failed' }, { model: 'large', outcome: 'ok', latencyMs: 10 }] })), undefined);
    assert.equal(firstTryOverheadMs(row({ status: 'failed', attempts: [{ model: 'small', outcome: 'ok', latencyMs: 10 }] })), undefined);
  });
});

describe('gateway metrics page', () => {
  it('counts requests, tokens, cost, fallbacks and refusals on its own registry', async () => {
    const m = new GatewayMetrics({ config: () => config, routeTableVersion: () => 7 });
    m.watchBreakers({ stateOf: (model) => (model === 'small' ? 'open' : 'closed') });
    m.requestEnded(row({ model: 'large', attempts: [{ model: 'small', outcome: 'failed', error: 'ProviderServerError' }, { model: 'large', outcome: 'ok' }] }), 0.0042);
    m.requestEnded(row({ status: 'denied', errorCode: 'policy_blocked', usage: null, model: null }), 0);
    m.requestEnded(row({ status: 'failed', errorCode: 'budget_exceeded', usage: null, model: null }), 0);
    m.refused({ caller: null, team: null, code: 'invalid_api_key', status: 401 });
    m.providerCall('mock', 'small', 'error', 0.2);
    const page = await m.scrape();
    assert.match(page, /gatehouse_requests_total\{caller="support",team="support",task="chat",route="chat",model="large",status="completed",code="ok"\} 1/);
    assert.match(page, /gatehouse_requests_total\{caller="none",team="none",task="none",route="none",model="none",status="refused",code="invalid_api_key"\} 1/);
    assert.match(page, /gatehouse_tokens_total\{team="support",route="chat",model="large",direction="out"\} 30/);
    assert.match(page, /gatehouse_cost_usd_total\{team="support",route="chat",model="large"\} 0.0042/);
    assert.match(page, /gatehouse_fallbacks_total\{route="chat",model="small",reason="ProviderServerError"\} 1/);
    assert.match(page, /gatehouse_policy_blocks_total\{caller="support",team="support",task="chat",route="chat",code="policy_blocked"\} 1/);
    assert.match(page, /gatehouse_policy_blocks_total\{caller="none",team="none",task="none",route="none",code="invalid_api_key"\} 1/);
    assert.match(page, /gatehouse_limit_rejections_total\{caller="support",team="support",task="chat",route="chat",code="budget_exceeded"\} 1/);
    assert.match(page, /gatehouse_provider_latency_seconds_count\{provider="mock",model="small",outcome="error"\} 1/);
    assert.match(page, /gatehouse_breaker_state\{model="small",state="open"\} 1/);
    assert.match(page, /gatehouse_breaker_state\{model="large",state="open"\} 0/);
    assert.match(page, /gatehouse_route_table_version 7/);
    assert.doesNotMatch(page, /req_0123456789/);
  });

  it('counts review decisions and waits, sensitive kinds once per request, and failed validation checks', async () => {
    const m = new GatewayMetrics({ config: () => config });
    const review = { reasons: ['always'], phase: 'review' as const, heldAt: '2026-01-01T00:00:00Z', deadlineAt: '2026-01-01T01:00:00Z', refused: [], decision: { action: 'approve' as const, by: 'rita', at: '2026-01-01T00:02:00Z', via: 'update' as const, phase: 'review' as const } };
    const validation = { ok: false, summary: 'failed json_parse', failed: ['json_parse'] };
    m.requestEnded(row({ review, sensitiveKinds: ['email', 'email', 'api_key'], sensitiveAction: 'redacted', attempts: [{ model: 'small', outcome: 'failed', validation }, { model: 'small', outcome: 'ok' }] }), 0);
    const page = await m.scrape();
    assert.match(page, /gatehouse_review_decisions_total\{route="chat",action="approve",via="update"\} 1/);
    assert.match(page, /gatehouse_review_wait_seconds_sum\{route="chat",action="approve"\} 120/);
    assert.match(page, /gatehouse_sensitive_detections_total\{route="chat",kind="email",action="redacted",status="completed"\} 1/);
    assert.match(page, /gatehouse_sensitive_detections_total\{route="chat",kind="api_key",action="redacted",status="completed"\} 1/);
    assert.match(page, /gatehouse_validation_failures_total\{route="chat",model="small",check="json_parse"\} 1/);
    assert.doesNotMatch(page, /rita/, 'the reviewer is not a label');
  });

  it('counts a request refused after screening as a block, with the kinds found and action `blocked`', async () => {
    const m = new GatewayMetrics({ config: () => config });
    m.requestEnded(row({ status: 'denied', errorCode: 'sensitive_data_blocked', model: null, usage: null, sensitiveKinds: ['payment_card'], sensitiveAction: 'blocked' }), 0);
    m.requestEnded(row({ status: 'failed', errorCode: 'route_disabled', model: null, usage: null }), 0);
    m.requestEnded(row({ status: 'failed', errorCode: 'provider_error', model: null, usage: null }), 0);
    const page = await m.scrape();
    assert.match(page, /gatehouse_sensitive_detections_total\{route="chat",kind="payment_card",action="blocked",status="denied"\} 1/);
    assert.match(page, /gatehouse_policy_blocks_total\{caller="support",team="support",task="chat",route="chat",code="route_disabled"\} 1/, 'the kill switch refused it');
    assert.doesNotMatch(page, /gatehouse_policy_blocks_total\{[^}]*code="provider_error"/, 'a provider failure is not a refusal');
  });

  it('counts canary requests, shadow comparisons (outcome and agreement) and end-user feedback', async () => {
    const m = new GatewayMetrics({ config: () => config });
    m.requestEnded(row({ stage: 'canary', model: 'large' }), 0);
    m.requestEnded(row({ stage: 'stable' }), 0);
    m.shadowCompared({ route: 'chat', candidateModel: 'large', candidateOk: true, candidateValid: null, agreement: 0.8 });
    m.shadowCompared({ route: 'chat', candidateModel: 'large', candidateOk: true, candidateValid: false, agreement: null });
    m.shadowCompared({ route: 'chat', candidateModel: 'made-up', candidateOk: false, candidateValid: null, agreement: null });
    m.feedbackGiven({ route: 'chat', model: 'large', outcome: 'edited' });
    m.feedbackGiven({ route: 'chat', model: 'large', outcome: 'edited' });
    const page = await m.scrape();
    assert.match(page, /gatehouse_canary_requests_total\{route="chat",model="large",status="completed"\} 1/);
    assert.doesNotMatch(page, /gatehouse_canary_requests_total\{[^}]*model="small"/, 'stable requests are not canary ones');
    assert.match(page, /gatehouse_shadow_comparisons_total\{route="chat",model="large",outcome="ok"\} 1/);
    assert.match(page, /gatehouse_shadow_comparisons_total\{route="chat",model="large",outcome="invalid"\} 1/);
    assert.match(page, /gatehouse_shadow_comparisons_total\{route="chat",model="other",outcome="error"\} 1/);
    assert.match(page, /gatehouse_shadow_agreement_sum\{route="chat",model="large"\} 0.8/);
    assert.match(page, /gatehouse_shadow_agreement_count\{route="chat",model="large"\} 1/);
    assert.match(page, /gatehouse_feedback_total\{route="chat",model="large",outcome="edited"\} 2/);
  });

  it('reads reviews pending per route and budgets left at scrape time; a count that fails leaves the gauge empty', async () => {
    const budgets = [{ scope: 'caller' as const, name: 'support', period: 'day' as const, remainingUsd: 1.25 }, { scope: 'team' as const, name: 'not-in-config', period: 'month' as const, remainingUsd: 3 }];
    const held = parseConfigObject({
      providers: { mock: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1' } },
      models: { small: { provider: 'mock', upstream: 'mock-small' } },
      callers: {
        support: { team: 'support', roles: ['caller'], tasks: ['chat', 'draft'], keyHash: hashApiKey('k-support-0123456789abcdef') },
        rita: { team: 'qa', roles: ['reviewer'], reviews: ['draft'], keyHash: hashApiKey('k-rita-0123456789abcdef0') },
      },
      routes: [
        { name: 'chat', match: { task: 'chat' }, primary: 'small' },
        { name: 'draft', match: { task: 'draft' }, primary: 'small', review: { when: 'always', deadline: '1h' } },
      ],
    });
    const asked: string[] = [];
    const m = new GatewayMetrics({ config: () => held, budgets: async () => budgets });
    let waiting = 4;
    m.watchReviews(async (route) => (asked.push(route), waiting));
    let page = await m.scrape();
    assert.match(page, /gatehouse_reviews_pending\{route="draft"\} 4/);
    assert.deepEqual(asked, ['draft'], 'only routes that can hold are counted');
    assert.match(page, /gatehouse_budget_remaining_usd\{scope="caller",name="support",period="day"\} 1.25/);
    assert.match(page, /gatehouse_budget_remaining_usd\{scope="team",name="other",period="month"\} 3/);
    waiting = 1;
    assert.match(await m.scrape(), /gatehouse_reviews_pending\{route="draft"\} 1/, 'read again at each scrape');
    m.watchReviews(() => Promise.reject(new Error('visibility unavailable')));
    page = await m.scrape();
    assert.doesNotMatch(page, /gatehouse_reviews_pending\{/);
    assert.match(page, /gatehouse_requests_total|gatehouse_budget_remaining_usd\{/, 'the rest of the page is still served');
  });

  it('keeps two gateways\' counters apart (no global registry)', async () => {
    const a = new GatewayMetrics({ config: () => config });
    const b = new GatewayMetrics({ config: () => config });
    a.requestEnded(row(), 0);
    assert.match(await a.scrape(), /gatehouse_requests_total\{[^}]*\} 1/);
    assert.doesNotMatch(await b.scrape(), /gatehouse_requests_total\{/);
  });
});
