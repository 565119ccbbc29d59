import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject, parseDuration, type Config } from '../../src/config';
import { planRoute, selectRoute, type PlanContext, type PlanRequest } from '../../src/routing';
import { refusal } from '../helpers/assertions';

const KEY = `sha256:${'a'.repeat(64)}`;
const config: Config = parseConfigObject({
  providers: { p1: { kind: 'openai', baseUrl: 'http://x/v1' }, own: { kind: 'openai-compatible', baseUrl: 'http://y/v1' } },
  models: {
    a: { provider: 'p1', upstream: 'up-a' },
    b: { provider: 'p1', upstream: 'up-b', dataClasses: ['public', 'internal', 'confidential'] },
    c: { provider: 'p1', upstream: 'up-c', approved: false },
    own: { provider: 'own', upstream: 'llama', private: true, dataClasses: ['public', 'internal', 'confidential', 'restricted'] },
    slow: { provider: 'p1', upstream: 'up-slow', latency: 'batch' },
    tiny: { provider: 'p1', upstream: 'up-tiny', contextWindow: 100 },
    pricey: { provider: 'p1', upstream: 'up-pricey' },
    cand: { provider: 'p1', upstream: 'up-cand' },
    other: { provider: 'p1', upstream: 'up-o' },
  },
  callers: {
    bot: { team: 't', tasks: ['chat', 'sum', 'code'], keyHash: KEY },
    alice: { team: 't', tasks: ['chat', 'code'], keyHash: `sha256:${'b'.repeat(64)}` }, // one key per caller
    narrow: { team: 't', tasks: ['chat'], keyHash: `sha256:${'c'.repeat(64)}`, routes: ['chat'], models: ['b'] },
  },
  routes: [
    { name: 'chat', match: { task: 'chat' }, primary: 'a', fallbacks: ['c', 'b', 'own'], timeout: '10s', retries: 1, batch: ['slow'], cheaperOption: 'own' },
    { name: 'sum-high', match: { task: 'sum', risk: ['high'] }, primary: 'b', fallbacks: ['own'] },
    { name: 'sum', match: { task: 'sum' }, primary: 'pricey', fallbacks: ['tiny', 'a'], maxCostUsd: 0.01 },
    { name: 'code-test', match: { task: 'code' }, primary: 'cand', stage: 'test', testCallers: ['alice'] },
    { name: 'code', match: { task: 'code' }, primary: 'a', canary: { model: 'cand', share: 0.1 } },
  ],
});

const COST: Record<string, number> = { pricey: 0.05, a: 0.001, tiny: 0.0001 };
function ctx(down: string[] = []): PlanContext {
  return {
    table: config,
    isAvailable: (m) => !down.includes(m),
    estimateCostUsd: (m) => COST[m],
    parseDuration,
  };
}

function req(over: Partial<PlanRequest> = {}): PlanRequest {
  return {
    requestId: 'r1', caller: 'bot', task: 'chat', requestedModel: 'auto', risk: 'low', dataClass: 'internal',
    latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 10, downgrade: false, ...over,
  };
}

function plan(over: Partial<PlanRequest> = {}, down: string[] = []) {
  const r = req(over);
  return planRoute(r, selectRoute(r, config), ctx(down));
}
const models = (over: Partial<PlanRequest> = {}, down: string[] = []) => plan(over, down).candidates.map((c) => c.model);

describe('planRoute: each factor alone', () => {
  const cases: Array<[string, Partial<PlanRequest>, string[] | string, string[]?]> = [
    ['task: primary then approved fallbacks', {}, ['a', 'b', 'own']],
    ['task without a route', { task: 'draw' }, '400 no_route_for_task'],
    ['risk selects the high-risk route', { task: 'sum', risk: 'high' }, ['b', 'own']],
    ['risk low takes the general route', { task: 'sum', risk: 'low' }, ['tiny', 'a']],
    ['sensitivity: confidential skips models not approved for it', { dataClass: 'confidential' }, ['b', 'own']],
    ['sensitivity: restricted only the model approved for it', { dataClass: 'restricted' }, ['own']],
    ['forced private route', { forcePrivate: true }, ['own']],
    ['latency batch puts batch models first', { latency: 'batch' }, ['slow', 'a', 'b', 'own']],
    ['latency realtime never uses batch-only models', { latency: 'realtime' }, ['a', 'b', 'own']],
    ['cost limit skips the expensive model', { task: 'sum' }, ['tiny', 'a']],
    ['context window skips the small model', { task: 'sum', promptTokens: 200 }, ['a']],
    ['availability skips open breakers', {}, ['b', 'own'], ['a']],
    ['every allowed model down fails clearly', { dataClass: 'restricted' }, '503 no_available_model', ['own']],
    ['soft budget puts the cheaper option first', { downgrade: true }, ['own', 'a', 'b']],
    ['caller model allowlist', { caller: 'narrow' }, ['b']],
    ['requested model goes first', { requestedModel: 'b' }, ['b', 'a', 'own']],
    ['requested unknown model', { requestedModel: 'gpt-9' }, '404 model_not_found'],
    ['requested model outside the route', { requestedModel: 'other' }, '403 model_not_allowed'],
    ['test route only for named callers', { task: 'code', caller: 'alice' }, ['cand']],
    ['others skip the test route', { task: 'code', caller: 'bot', requestId: 'stable-side' }, ['a']],
  ];
  for (const [name, over, want, down] of cases) {
    it(name, () => {
      if (Array.isArray(want)) assert.deepEqual(models(over, down), want);
      else assert.equal(refusal(() => models(over, down)), want);
    });
  }
});

describe('planRoute: factors in combination', () => {
  it('confidential + batch: the batch model may not see it, so it is skipped, and says so', () => {
    const p = plan({ dataClass: 'confidential', latency: 'batch' });
    assert.deepEqual(p.candidates.map((c) => c.model), ['b', 'own']);
    assert.match(p.explanation, /slow: may not see confidential data/);
  });

  it('a restricted request never falls back to a model that may not see it, even with all others up', () => {
    for (const down of [[], ['own']]) {
      const attempt = () => plan({ dataClass: 'restricted' }, down).candidates.map((c) => c.model);
      if (down.length === 0) assert.deepEqual(attempt(), ['own']);
      else assert.equal(refusal(attempt), '503 no_available_model');
    }
  });

  it('soft budget + private: the cheaper option is also the private one', () => {
    assert.deepEqual(models({ downgrade: true, forcePrivate: true }), ['own']);
  });

  it('every model skipped by data class is a 403, not a retryable error', () => {
    assert.equal(refusal(() => models({ dataClass: 'restricted', caller: 'narrow' })), '403 no_model_for_data_class');
  });

  it('high risk + cost: the high-risk route has no cost limit', () => {
    assert.deepEqual(models({ task: 'sum', risk: 'high', promptTokens: 500 }), ['b', 'own']);
  });

  it('the explanation names every factor and every skipped model', () => {
    const p = plan({ task: 'sum' });
    assert.equal(
      p.explanation,
      'task=sum risk=low sensitivity=internal latency=realtime → route sum: tiny; fallback a; skipped pricey: over cost limit ($0.0500 > $0.01)',
    );
    assert.equal(p.timeoutMs, 30_000);
    assert.equal(plan().explanation, 'task=chat risk=low sensitivity=internal latency=realtime → route chat: a; fallback b, own; skipped c: not approved');
  });
});

describe('canary split', () => {
  it('puts the candidate first for ~share of 2,000 request ids (±3 points), stable per id', () => {
    let canary = 0;
    for (let i = 0; i < 2000; i++) {
      const p = plan({ task: 'code', requestId: `req-${i}` });
      if (p.stage === 'canary') {
        canary++;
        assert.deepEqual(p.candidates.map((c) => c.model), ['cand', 'a']);
      }
      assert.equal(plan({ task: 'code', requestId: `req-${i}` }).stage, p.stage, 'stable per request id');
    }
    const share = canary / 2000;
    assert.ok(Math.abs(share - 0.1) <= 0.03, `canary share ${share}`);
  });
});

describe('selectRoute', () => {
  it('a caller limited to other routes gets 403 route_not_allowed', () => {
    const narrowSum = { ...config, callers: { ...config.callers, narrow: { ...config.callers.narrow!, tasks: ['chat', 'sum'], routes: ['chat'] } } };
    assert.equal(refusal(() => selectRoute({ caller: 'narrow', task: 'sum', risk: 'low' }, narrowSum)), '403 route_not_allowed');
  });
});
