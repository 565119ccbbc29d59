import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { localActivityTypes } from '../helpers/history';
import { waitFor } from '../helpers/process';
import { requestWorkflowId } from '../../src/temporal/requestStarter';

/** Each route's primary misbehaves by its upstream model name (the mock's fault grammar). */
const config = (mockUrl: string) =>
  testConfig(mockUrl, {
    models: {
      broken: { provider: 'mock', upstream: 'mock-small+status=500' },
      silent: { provider: 'mock', upstream: 'mock-small+timeout' },
      picky: { provider: 'mock', upstream: 'mock-small+status=400' },
      flaky: { provider: 'mock', upstream: 'mock-flaky' },
      backup: { provider: 'mock', upstream: 'mock-large' },
      broken2: { provider: 'mock', upstream: 'mock-large+status=503' },
      broken3: { provider: 'mock', upstream: 'mock-small+status=500' },
    },
    callers: (testConfig(mockUrl).callers as object),
    routes: [
      { name: 'r500', match: { task: 'chat' }, primary: 'broken', fallbacks: ['backup'], timeout: '5s', retries: 1 },
      { name: 'rtimeout', match: { task: 'summarize' }, primary: 'silent', fallbacks: ['backup'], timeout: '1s', retries: 2 },
      { name: 'r400', match: { task: 'extract' }, primary: 'picky', fallbacks: ['backup'], timeout: '5s', retries: 2 },
      { name: 'rflaky', match: { task: 'classify' }, primary: 'flaky', fallbacks: ['backup'], timeout: '5s', retries: 2 },
      { name: 'rdead', match: { task: 'code' }, primary: 'broken', fallbacks: ['broken2'], timeout: '5s', retries: 0 },
      { name: 'rlocal', match: { task: 'local' }, primary: 'broken', fallbacks: ['backup'], timeout: '5s', retries: 1, providerCall: 'local' },
      { name: 'rslow', match: { task: 'slowlocal' }, primary: 'backup', fallbacks: [], timeout: '30s', retries: 0, providerCall: 'local' },
      { name: 'rasync', match: { task: 'asynclocal' }, primary: 'broken3', fallbacks: ['backup'], timeout: '5s', retries: 1, providerCall: 'local' },
    ],
  });

function withTasks(cfg: Record<string, any>): Record<string, any> {
  cfg.callers.support.tasks = ['chat', 'summarize', 'extract', 'classify', 'code', 'local', 'slowlocal', 'asynclocal'];
  return cfg;
}

describe('retries and fallback (real dev server, mock faults)', () => {
  let gw: TestGateway;
  const ask = (task: string, content = 'Hello') => chat(gw.url, hello(content), { ...auth(KEYS.support), 'x-gatehouse-task': task });
  before(async () => {
    gw = await startTestGateway({ config: (u) => withTasks(config(u)) });
  });
  after(() => gw?.close());

  it('falls back on persistent 500 after the route retries, and says so', async () => {
    const res = await ask('chat');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'backup');
    assert.deepEqual(res.json.gatehouse.fallbacks, ['broken']);
    assert.equal(res.json.gatehouse.attempts[0].error, 'ProviderServerError');
    assert.equal(gw.mock.calls('mock-small+status=500'), 2, 'one try plus one retry');
    const row = (await gw.ledger.get(res.headers.get('x-gatehouse-request-id')!));
    assert.equal(row?.model, 'backup');
    assert.match(row?.attempts ?? '', /ProviderServerError/);
  });

  it('falls back at once when the provider never answers (no retry of a silent provider)', async () => {
    const res = await ask('summarize');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'backup');
    assert.equal(res.json.gatehouse.attempts[0].error, 'ProviderTimeout');
    assert.equal(gw.mock.calls('mock-small+timeout'), 1);
  });

  it('does not retry or fall back on a 400: the caller gets the provider reason', async () => {
    const before = gw.mock.calls('mock-large');
    const res = await ask('extract');
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'provider_rejected_request');
    assert.equal(gw.mock.calls('mock-small+status=400'), 1);
    assert.equal(gw.mock.calls('mock-large'), before, 'fallback never called');
  });

  it('retries a single 5xx on the same model and succeeds there', async () => {
    gw.mock.queueFaults('mock-flaky', ['status=500']);
    const res = await ask('classify');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'flaky');
    assert.equal(gw.mock.calls('mock-flaky'), 2);
  });

  it('providerCall: local runs each try as a local activity, with the same retries and fallback', async () => {
    const before = gw.mock.calls('mock-small+status=500');
    const res = await ask('local');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'backup');
    assert.equal(gw.mock.calls('mock-small+status=500') - before, 2, 'one try plus one retry');
    const requestId = res.headers.get('x-gatehouse-request-id')!;
    const history = await gw.client.workflow.getHandle(requestId).fetchHistory();
    const events = history.events ?? [];
    assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callProvider').length, 0, 'no task-queue activity');
    // Every try is a marker, except the first: the caller waits, so it ran in admission's step
    // (src/routing/firstTry.ts). The answering try wrote the ledger row (no ledger step after it).
    assert.deepEqual(await localActivityTypes(gw.client, requestId), ['prepareRequest', 'callProvider', 'callProvider']);
    const row = (await gw.ledger.get(requestId))!;
    assert.equal(row.status, 'completed');
    assert.equal(row.model, 'backup');
    const attempts = JSON.parse(row.attempts) as Array<{ model: string; outcome: string; latencyMs?: number }>;
    assert.deepEqual(attempts.map((a) => [a.model, a.outcome]), [['broken', 'failed'], ['broken', 'failed'], ['backup', 'ok']]);
    assert.equal(typeof attempts[2]!.latencyMs, 'number', "the answering try's latency, filled in by the call");
  });

  it('with nowhere left to go, returns the original provider error and every attempt', async () => {
    const res = await ask('code');
    assert.equal(res.status, 502);
    assert.equal(res.json.error.code, 'provider_error');
    assert.match(res.json.error.message, /First error: broken: .*HTTP 500/);
    assert.deepEqual(
      res.json.gatehouse.attempts.map((a: { model: string; status: number }) => [a.model, a.status]),
      [['broken', 500], ['broken2', 503]],
    );
  });
  // Last: their failures of `broken` would open its breaker for the tests above.
  it('asked async (nobody waits on the connection), every try is its own step, the first too', async () => {
    const res = await chat(gw.url, hello(), { ...auth(KEYS.support), 'x-gatehouse-task': 'asynclocal', prefer: 'respond-async' });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const requestId = res.headers.get('x-gatehouse-request-id')!;
    const result = (await gw.client.workflow.getHandle(requestId).result()) as { gatehouse: { model: string } };
    assert.equal(result.gatehouse.model, 'backup');
    assert.deepEqual(await localActivityTypes(gw.client, requestId), ['prepareRequest', 'callProvider', 'callProvider', 'callProvider']);
  });

  it('a waiting request cancelled during the first try made with admission is recorded cancelled, with caller and route', async () => {
    // Longer than the workflow task's heartbeat (~8 s): a local step learns of a cancellation only then.
    gw.mock.queueFaults('mock-large', ['latency=15000']);
    const before = gw.mock.calls('mock-large');
    const key = `slow-${Date.now()}`;
    const pending = chat(gw.url, hello(), { ...auth(KEYS.support), 'x-gatehouse-task': 'slowlocal', 'idempotency-key': key });
    await waitFor(() => gw.mock.calls('mock-large') > before, 10_000, 'the provider call');
    const requestId = requestWorkflowId(KEYS.support, key);
    await gw.client.workflow.getHandle(requestId).cancel();
    const res = await pending;
    assert.equal(res.json.error?.code, 'request_cancelled', JSON.stringify(res.json));
    await waitFor(async () => (await gw.ledger.get(requestId))?.status === 'cancelled', 10_000, 'the ledger row');
    const row = (await gw.ledger.get(requestId))!;
    assert.deepEqual([row.caller, row.route], ['support', 'rslow']);
    const desc = await gw.client.workflow.getHandle(requestId).describe();
    const attrs = Object.fromEntries(desc.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    assert.deepEqual([attrs.GatehouseStatus, attrs.GatehouseCaller, attrs.GatehouseRoute], ['cancelled', 'support', 'rslow']);
  });
});
