import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { KEYS, auth, chat, hello, send, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';

const ADMIN_KEY = 'test-key-admin-0123456789abcdef0';
const LIMITED_KEY = 'test-key-limited-0123456789abcdef';
const CARD = '4111 1111 1111 1111';
const BAD_KEY = 'sk-not-a-gatehouse-key-4f1e2d3c';
const PROMPT = 'metrics-must-never-show-this-prompt-7c1a';

/** Route `chat` fails over (its primary answers 500), `summarize` answers; `limited` may send 2 a minute. */
const config = (mockUrl: string) => {
  const c = testConfig(mockUrl, {
    models: {
      broken: { provider: 'mock', upstream: 'mock-small+status=500' },
      large: { provider: 'mock', upstream: 'mock-large' },
    },
    routes: [
      { name: 'chat', match: { task: 'chat' }, primary: 'broken', fallbacks: ['large'], timeout: '5s', retries: 1 },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large', fallbacks: [], timeout: '5s', retries: 0 },
      { name: 'guarded', match: { task: 'guarded' }, primary: 'large', sensitivity: { action: 'block' } },
      { name: 'scrubbed', match: { task: 'scrubbed' }, primary: 'large', sensitivity: { action: 'redact' } },
    ],
  }) as { callers: Record<string, any> };
  c.callers.support.tasks = ['chat', 'summarize', 'guarded', 'scrubbed'];
  c.callers.root = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(ADMIN_KEY) };
  c.callers.limited = { team: 'throttled', roles: ['caller'], tasks: ['summarize'], keyHash: hashApiKey(LIMITED_KEY) };
  return { ...c, limits: { callers: { limited: { rpm: 2 } } } };
};

const series = (page: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('GET /metrics: Prometheus series of requests, refusals and fallbacks, bounded and secret-free', () => {
  let gw: TestGateway;
  let page: string;
  const ids: string[] = [];
  before(async () => {
    gw = await startTestGateway({ config, env: { GATEHOUSE_METRICS_PORT: '0' } });
    const sent = [
      await chat(gw.url, hello(PROMPT), { ...auth(KEYS.analyst), 'x-gatehouse-task': 'summarize' }),
      await chat(gw.url, hello(PROMPT), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' }),
      await chat(gw.url, hello(PROMPT), auth(BAD_KEY)),
      await chat(gw.url, hello(PROMPT), { ...auth(KEYS.analyst), 'x-gatehouse-task': 'chat' }),
    ];
    sent.push(await chat(gw.url, hello(`${PROMPT} card ${CARD}`), { ...auth(KEYS.support), 'x-gatehouse-task': 'guarded' }));
    sent.push(await chat(gw.url, hello(`${PROMPT} card ${CARD}`), { ...auth(KEYS.support), 'x-gatehouse-task': 'scrubbed' }));
    sent.push(await chat(gw.url, { ...hello(PROMPT), stream: true }, { ...auth(KEYS.analyst), 'x-gatehouse-task': 'summarize' }));
    for (let i = 0; i < 3; i++) sent.push(await chat(gw.url, hello(PROMPT), auth(LIMITED_KEY)));
    assert.deepEqual(sent.map((s) => s.status), [200, 200, 401, 403, 403, 200, 200, 200, 200, 429], JSON.stringify(sent.map((s) => s.json?.error?.code)));
    assert.equal(sent[1]!.json.gatehouse.model, 'large', 'the chat route fell back');
    ids.push(...sent.map((s) => s.headers.get('x-gatehouse-request-id')).filter((id): id is string => !!id));
    const res = await fetch(`${gw.url}/metrics`, { headers: auth(ADMIN_KEY) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    page = await res.text();
  });
  after(() => gw?.close());

  it('counts each request where it ended, labelled by caller, team, task, route, model, status and code', () => {
    const base = { caller: 'analyst', team: 'data', task: 'summarize', route: 'summarize', model: 'large', status: 'completed', code: 'ok' };
    assert.equal(series(page, 'gatehouse_requests_total', base), 2, page);
    assert.equal(series(page, 'gatehouse_requests_total', { ...base, caller: 'support', team: 'support', task: 'chat', route: 'chat' }), 1);
    assert.equal(series(page, 'gatehouse_requests_total', { caller: 'limited', team: 'throttled', status: 'completed' }), 2);
    assert.equal(series(page, 'gatehouse_requests_total', { caller: 'none', team: 'none', status: 'refused', code: 'invalid_api_key' }), 1);
    assert.equal(series(page, 'gatehouse_requests_total', { caller: 'analyst', status: 'denied', code: 'task_not_allowed' }), 1);
  });

  it('counts refusals by reason: the policy block, the bad key and the rate limit, with who was refused', () => {
    assert.equal(series(page, 'gatehouse_policy_blocks_total', { caller: 'analyst', team: 'data', code: 'task_not_allowed' }), 1);
    assert.equal(series(page, 'gatehouse_policy_blocks_total', { caller: 'none', code: 'invalid_api_key' }), 1);
    assert.equal(series(page, 'gatehouse_policy_blocks_total', { caller: 'support', team: 'support', route: 'guarded', code: 'sensitive_data_blocked' }), 1);
    // Detections by what screening did: the blocked request's kinds as much as the redacted one's.
    assert.equal(series(page, 'gatehouse_sensitive_detections_total', { route: 'scrubbed', kind: 'payment_card', action: 'redacted', status: 'completed' }), 1);
    assert.equal(series(page, 'gatehouse_sensitive_detections_total', { route: 'guarded', kind: 'payment_card', action: 'blocked', status: 'denied' }), 1);
    assert.equal(series(page, 'gatehouse_limit_rejections_total', { caller: 'limited', team: 'throttled', code: 'rate_limit_exceeded' }), 1);
  });

  it('counts the retry and the fallback by reason, and times every provider try', () => {
    assert.equal(series(page, 'gatehouse_retries_total', { route: 'chat', model: 'broken', reason: 'ProviderServerError' }), 1);
    assert.equal(series(page, 'gatehouse_fallbacks_total', { route: 'chat', model: 'broken', reason: 'ProviderServerError' }), 1);
    assert.equal(series(page, 'gatehouse_provider_latency_seconds_count', { provider: 'mock', model: 'broken', outcome: 'error' }), 2);
    assert.equal(series(page, 'gatehouse_provider_latency_seconds_count', { provider: 'mock', model: 'large', outcome: 'ok' }), 6);
    assert.equal(series(page, 'gatehouse_gateway_overhead_seconds_count', { route: 'summarize' }), 4, 'analyst twice, limited twice: each at the first try');
    assert.equal(series(page, 'gatehouse_gateway_overhead_seconds_count', { route: 'chat' }), undefined, 'the fallback took three tries');
    assert.equal(series(page, 'gatehouse_time_to_first_token_seconds_count', { provider: 'mock', model: 'large' }), 1, 'the one streamed try');
  });

  it('counts tokens per team, route and model, and reads breakers and the route-table version at scrape time', () => {
    assert.ok((series(page, 'gatehouse_tokens_total', { team: 'data', route: 'summarize', model: 'large', direction: 'in' }) ?? 0) > 0);
    assert.ok((series(page, 'gatehouse_tokens_total', { team: 'support', route: 'chat', model: 'large', direction: 'out' }) ?? 0) > 0);
    assert.equal(series(page, 'gatehouse_breaker_state', { model: 'broken', state: 'closed' }), 1, 'two failures are under the threshold');
    assert.match(page, /^gatehouse_route_table_version 1$/m);
  });

  it('shows no prompt text, key or request id', () => {
    assert.equal(ids.length >= 5, true);
    // Sample values are numbers: a float such as 0.0041115 is not a leak of the card's digits, so they are left out.
    const withoutValues = page.split('\n').map((line) => (line.startsWith('#') ? line : line.replace(/ \S+$/, ''))).join('\n');
    for (const secret of [PROMPT, CARD, '4111', ADMIN_KEY, LIMITED_KEY, BAD_KEY, KEYS.support, KEYS.analyst, ...ids]) assert.ok(!withoutValues.includes(secret), `page shows ${secret}`);
  });

  it('is not for callers: a caller key is refused (403) and no key is 401', async () => {
    const asCaller = await send(gw.url, '/metrics', undefined, auth(KEYS.support), 'GET');
    assert.equal(asCaller.status, 403);
    assert.equal(asCaller.json.error.code, 'admin_role_required');
    assert.equal((await send(gw.url, '/metrics', undefined, {}, 'GET')).status, 401);
  });

  it('is also served keyless on the loopback metrics listener (GATEHOUSE_METRICS_PORT), and nothing else there', async () => {
    assert.match(gw.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${gw.metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /gatehouse_requests_total\{caller="analyst"/);
    assert.equal((await fetch(`${gw.metricsUrl}/admin/routes`)).status, 404);
  });
});
