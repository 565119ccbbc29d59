import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';

const key = (name: string) => `test-key-${name}-0123456789abcdef`;
const TASKS = ['chat', 'sum', 'code', 'secret', 'flaky', 'tiny', 'bulk'];

const config = (mockUrl: string) => ({
  providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
  models: {
    small: { provider: 'mock', upstream: 'mock-small' },
    nightly: { provider: 'mock', upstream: 'mock-nightly', latency: 'batch' },
    pricey: { provider: 'mock', upstream: 'mock-pricey', price: { inputPerMTok: 100000, outputPerMTok: 100000 } },
    cand: { provider: 'mock', upstream: 'mock-cand' },
    beta: { provider: 'mock', upstream: 'mock-beta' },
    vault: { provider: 'mock', upstream: 'mock-vault+status=500', private: true, dataClasses: ['public', 'internal', 'confidential', 'restricted'] },
    shaky: { provider: 'mock', upstream: 'mock-shaky' },
    lavish: { provider: 'mock', upstream: 'mock-lavish', price: { inputPerMTok: 10, outputPerMTok: 10 } },
    cheapo: { provider: 'mock', upstream: 'mock-cheapo', price: { inputPerMTok: 0.1, outputPerMTok: 0.1 } },
    careful: { provider: 'mock', upstream: 'mock-careful', price: { inputPerMTok: 50, outputPerMTok: 50 } },
  },
  callers: {
    alice: { team: 'web', tasks: TASKS, keyHash: hashApiKey(key('alice')) },
    tester: { team: 'qa', tasks: TASKS, keyHash: hashApiKey(key('tester')) },
    fenced: { team: 'web', tasks: ['chat', 'sum'], routes: ['chat'], keyHash: hashApiKey(key('fenced')) },
    boss: { team: 'exec', tasks: ['bulk'], priorities: ['low', 'normal', 'high'], keyHash: hashApiKey(key('boss')) },
  },
  routes: [
    { name: 'chat', match: { task: 'chat' }, primary: 'small', batch: ['nightly'] },
    { name: 'sum', match: { task: 'sum' }, primary: 'pricey', fallbacks: ['small'], maxCostUsd: 0.01 },
    { name: 'code-beta', match: { task: 'code' }, stage: 'test', testCallers: ['tester'], primary: 'beta' },
    { name: 'code', match: { task: 'code' }, primary: 'small', canary: { model: 'cand', share: 1, by: 'caller' } },
    { name: 'secret', match: { task: 'secret' }, primary: 'vault', fallbacks: ['small'], retries: 0 },
    { name: 'flaky', match: { task: 'flaky' }, primary: 'shaky', fallbacks: ['small'], retries: 0 },
    { name: 'tiny', match: { task: 'tiny' }, primary: 'small', maxInputTokens: 20 },
    { name: 'bulk', match: { task: 'bulk' }, primary: 'lavish', fallbacks: ['cheapo'], priorities: { low: { prefer: 'cheapest' }, high: { models: ['careful'] } } },
  ],
});

describe('routing factors through the HTTP front door', () => {
  let gw: TestGateway;
  const ask = (who: string, task: string, content = 'route me', extra: Record<string, string> = {}) =>
    chat(gw.url, hello(content), { ...auth(key(who)), 'x-gatehouse-task': task, ...extra });
  before(async () => {
    gw = await startTestGateway({
      config,
      env: { GATEHOUSE_BREAKER_FAILURES: '2', GATEHOUSE_BREAKER_WINDOW_MS: '60000', GATEHOUSE_BREAKER_COOLDOWN_MS: '5000' },
    });
  });
  after(() => gw?.close());

  it('latency: batch requests go to the batch model, realtime never does', async () => {
    assert.equal((await ask('alice', 'chat', 'later', { 'x-gatehouse-latency': 'batch' })).json.gatehouse.model, 'nightly');
    const now = await ask('alice', 'chat', 'now');
    assert.equal(now.json.gatehouse.model, 'small');
    assert.doesNotMatch(now.json.gatehouse.explanation, /nightly/);
  });

  it('priority: low work takes the cheapest approved model, high work the careful one; the explanation says why', async () => {
    const low = await ask('alice', 'bulk', 'bulk job', { 'x-gatehouse-priority': 'low' });
    assert.equal(low.json.gatehouse.model, 'cheapo');
    assert.match(low.json.gatehouse.explanation, /priority=low .*\[priority low: cheapest first\]/);
    const normal = await ask('alice', 'bulk', 'bulk job');
    assert.equal(normal.json.gatehouse.model, 'lavish');
    const high = await chat(gw.url, { ...hello('board memo'), metadata: { task: 'bulk', priority: 'high' } }, auth(key('boss')));
    assert.equal(high.json.gatehouse.model, 'careful');
    assert.match(high.json.gatehouse.explanation, /\[priority high: careful first\]/);
  });

  it('priority: a caller not granted high is refused with a stable code, before any provider call', async () => {
    const before = gw.mock.calls('mock-careful');
    const res = await ask('alice', 'bulk', 'make it good', { 'x-gatehouse-priority': 'high' });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'priority_not_allowed');
    assert.equal(gw.mock.calls('mock-careful'), before);
    const bad = await ask('alice', 'bulk', 'x', { 'x-gatehouse-priority': 'urgent' });
    assert.equal(bad.status, 400);
  });

  it('cost limit: the model over the per-request ceiling is skipped before any call', async () => {
    const res = await ask('alice', 'sum');
    assert.equal(res.json.gatehouse.model, 'small');
    assert.match(res.json.gatehouse.explanation, /pricey: over cost limit/);
    assert.equal(gw.mock.calls('mock-pricey'), 0);
  });

  it('release stage: a test route serves only its named callers; a canary share of 1 sends the caller to the candidate', async () => {
    assert.equal((await ask('tester', 'code')).json.gatehouse.route, 'code-beta');
    const other = await ask('alice', 'code');
    assert.equal(other.json.gatehouse.route, 'code');
    assert.equal(other.json.gatehouse.model, 'cand');
    assert.match(other.json.gatehouse.explanation, /cand \(canary\)/);
    assert.equal((await gw.ledger.get(other.json.gatehouse.request_id))?.stage, 'canary');
  });

  it('route allowlist: 403 route_not_allowed', async () => {
    const res = await ask('fenced', 'sum');
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'route_not_allowed');
  });

  it('size: over the limit with no larger route is 413', async () => {
    const res = await ask('alice', 'tiny', 'word '.repeat(40));
    assert.equal(res.status, 413);
    assert.equal(res.json.error.code, 'request_too_large');
  });

  it('a restricted request never falls back to a model that may not see it: it fails clearly', async () => {
    const before = gw.mock.calls('mock-small');
    const res = await ask('alice', 'secret', 'customer ssn 123-45-6789');
    assert.equal(res.status, 502, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'provider_error');
    assert.deepEqual(res.json.gatehouse.attempts.map((a: { model: string }) => a.model), ['vault']);
    assert.equal(gw.mock.calls('mock-small'), before, 'never sent to the model that may not see it');
  });

  it('availability: a failing model opens its breaker, is skipped, and comes back after a probe', async () => {
    gw.mock.queueFaults('mock-shaky', ['status=500', 'status=500']);
    for (let i = 0; i < 2; i++) assert.equal((await ask('alice', 'flaky', `f${i}`)).json.gatehouse.model, 'small');
    const skipped = await ask('alice', 'flaky', 'f2');
    assert.equal(skipped.json.gatehouse.model, 'small');
    assert.match(skipped.json.gatehouse.explanation, /shaky: circuit open/);
    assert.equal(gw.mock.calls('mock-shaky'), 2, 'no call while open');
    await new Promise((r) => setTimeout(r, 5100));
    const back = await ask('alice', 'flaky', 'f3');
    assert.equal(back.json.gatehouse.model, 'shaky', 'the probe succeeded and traffic returned');
  });
});
