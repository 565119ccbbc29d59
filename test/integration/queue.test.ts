import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { hashApiKey } from '../../src/auth';
import { GatehouseClient } from '../../src/client';
import { GatewayError } from '../../src/errors';
import { loadCodec } from '../../src/temporal/codec';
import { gatehouseDataConverter } from '../../src/temporal/dataConverter';
import { runRoutesCommand } from '../../src/cli/routes';
import { statusQuery } from '../../workflows/definitions';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';
import { streamChat } from '../helpers/sse';
import { api, waitForAsync } from '../helpers/review';

/** Short breaker windows, so an outage opens the breaker and its cool-down passes within a test. */
const BREAKER = { GATEHOUSE_BREAKER_FAILURES: '2', GATEHOUSE_BREAKER_WINDOW_MS: '30000', GATEHOUSE_BREAKER_COOLDOWN_MS: '3000' };

const KEYS = { caller: 'test-key-queue-caller-0123456789abcd', root: 'test-key-queue-admin-root-012345678' };
const TASKS = ['switched', 'outage', 'hopeless', 'cancelled', 'woken', 'limited'];
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });

/** Every route queues (1 s holdSync); each owns its model, so faults and breakers never cross tests. */
function queueConfig(mockUrl: string): Record<string, unknown> {
  const route = (name: string, primary: string, queue: Record<string, string>) => ({ name, match: { task: name }, primary, timeout: '5s', retries: 0, queue });
  return {
    providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
    models: {
      solo: { provider: 'mock', upstream: 'mock-solo' },
      flaky: { provider: 'mock', upstream: 'mock-flaky' },
      dead: { provider: 'mock', upstream: 'mock-500' },
      lone: { provider: 'mock', upstream: 'mock-lone' },
      wake: { provider: 'mock', upstream: 'mock-wake' },
      busy: { provider: 'mock', upstream: 'mock-busy' },
    },
    callers: {
      caller: { team: 'app', roles: ['caller'], tasks: TASKS, keyHash: hashApiKey(KEYS.caller) },
      root: { team: 'ops', roles: ['admin'], keyHash: hashApiKey(KEYS.root) },
    },
    routes: [
      route('switched', 'solo', { maxWait: '60s', holdSync: '1s' }),
      route('outage', 'flaky', { maxWait: '60s', holdSync: '1s' }),
      route('hopeless', 'dead', { maxWait: '2s' }),
      route('cancelled', 'lone', { maxWait: '60s', holdSync: '1s' }),
      route('woken', 'wake', { maxWait: '60s', holdSync: '1s' }),
      route('limited', 'busy', { maxWait: '60s' }),
    ],
  };
}

describe('queue: a route falls back to waiting (real dev server)', () => {
  let gw: TestGateway;
  const ask = (task: string, body: Record<string, unknown> = hello(`hello ${task}`), headers: Record<string, string> = {}) =>
    chat(gw.url, body, { ...as('caller'), 'x-gatehouse-task': task, ...headers });
  const admin = (method: string, path: string, body?: unknown) => api(gw.url, method, path, as('root'), body);
  const view = async (id: string) => (await api(gw.url, 'GET', `/v1/requests/${id}`, as('caller'))).json;
  const finished = async (id: string, timeoutMs = 30_000) => {
    let v: any;
    await waitForAsync(async () => !['running', 'queued', 'awaiting_review'].includes((v = await view(id)).status), timeoutMs, `request ${id} to finish`);
    return v;
  };
  const depth = async () => (await admin('GET', '/admin/queue')).json;
  /** Waits, wake-ups and re-plans are deterministic: the finished history replays on the bundle. */
  const replays = async (id: string) => {
    const history = await gw.client.workflow.getHandle(id).fetchHistory();
    const dataConverter = gatehouseDataConverter(loadCodec(gw.env, join(gw.dir, 'codec-key')));
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.GATEHOUSE_TEST_WORKFLOW_BUNDLE! }, dataConverter }, history, id);
  };

  before(async () => {
    gw = await startTestGateway({ config: queueConfig, env: BREAKER });
  });
  after(() => gw?.close());

  it('kill switch: 202 after holdSync (plain and streamed), status queued with the reason, counted; re-enabled → the answer', async () => {
    assert.equal((await admin('POST', '/admin/routes/disable', { target: 'switched', kind: 'route', reason: 'incident 14' })).status, 200);
    const started = Date.now();
    const [plain, streamed] = await Promise.all([ask('switched'), ask('switched', { ...hello('streamed'), stream: true })]);
    for (const res of [plain, streamed]) {
      assert.equal(res.status, 202, JSON.stringify(res.json));
      assert.equal(res.json.status, 'queued');
      assert.equal(res.headers.get('location'), `/v1/requests/${res.json.id}`);
    }
    assert.ok(Date.now() - started >= 1_000, 'the synchronous caller was held for holdSync first');
    assert.equal(gw.mock.calls('mock-solo'), 0, 'a disabled route is not called while it waits');

    const id = plain.json.id;
    const seen = await view(id);
    assert.equal(seen.status, 'queued');
    assert.equal(seen.queue.reason, 'route_disabled');
    assert.ok(Date.parse(seen.queue.until) - Date.parse(seen.queue.since) === 60_000, JSON.stringify(seen.queue));
    const status = await gw.client.workflow.getHandle(id).query(statusQuery);
    assert.equal(status.step, 'queued');
    assert.equal(status.queue?.reason, 'route_disabled');
    assert.match(status.queue?.message ?? '', /route "switched" is disabled: incident 14/);
    await waitForAsync(async () => (await depth()).routes.some((r: any) => r.route === 'switched' && r.queued === 2), 10_000, 'both queued requests counted');
    assert.equal((await api(gw.url, 'GET', '/admin/queue', as('caller'))).status, 403, 'queue depth is for admins');
    const lines: string[] = [];
    assert.equal(await runRoutesCommand(['queue'], { GATEHOUSE_URL: gw.url, GATEHOUSE_KEY: KEYS.root }, (l) => lines.push(l), (l) => lines.push(l)), 0);
    assert.match(lines.join('\n'), /^switched +2 /m, lines.join('\n'));

    assert.equal((await admin('POST', '/admin/routes/enable', { target: 'switched', kind: 'route', reason: 'fixed' })).status, 200);
    const done = await finished(id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.choices[0].message.content, 'Mock answer to: hello switched');
    assert.equal((await finished(streamed.json.id)).result.choices[0].message.content, 'Mock answer to: streamed');
    assert.equal((await gw.ledger.get(id))?.status, 'completed');
    await waitForAsync(async () => !(await depth()).routes.some((r: any) => r.route === 'switched'), 10_000, 'the queue drained');
  });

  it('re-enabling a route wakes its queued requests at once, not at their next timer', async () => {
    assert.equal((await admin('POST', '/admin/routes/disable', { target: 'woken', kind: 'route', reason: 'incident' })).status, 200);
    const res = await ask('woken', hello('wake me'), { prefer: 'respond-async' });
    const handle = gw.client.workflow.getHandle(res.json.id);
    // The third wait is 4 s long (1 s, 2 s, 4 s): enabled just after it began, the timer alone would take ~4 s.
    await waitForAsync(async () => (await handle.query(statusQuery)).queue?.waits === 3, 15_000, 'the third wait');
    const enabled = Date.now();
    assert.equal((await admin('POST', '/admin/routes/enable', { target: 'woken', kind: 'route', reason: 'fixed' })).status, 200);
    const done = await finished(res.json.id);
    assert.equal(done.status, 'completed');
    assert.ok(Date.now() - enabled < 2_000, `answered ${Date.now() - enabled} ms after the route came back`);
    await replays(res.json.id);
  });

  it('provider outage: tries fail, the breaker opens, the request waits and is answered once the provider recovers', async () => {
    // Two failures (the second opens the breaker), then the model answers again (the mock's faults run out).
    // Waits of 1 s and 2 s: the second re-plan finds the breaker still open (3 s cool-down), the third probes.
    gw.mock.queueFaults('mock-flaky', ['status=503', 'status=503']);
    const res = await ask('outage');
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const id = res.json.id;
    const done = await finished(id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.choices[0].message.content, 'Mock answer to: hello outage');
    const attempts = done.result.gatehouse.attempts;
    assert.deepEqual(attempts.map((a: any) => a.outcome), ['failed', 'failed', 'ok']);
    assert.ok(attempts.slice(0, 2).every((a: any) => a.error === 'ProviderServerError'));
    assert.equal(gw.mock.calls('mock-flaky'), 3, 'an open breaker is waited out, not called');
    const status = await gw.client.workflow.getHandle(id).query(statusQuery);
    assert.equal(status.step, 'completed');
    assert.equal(status.queue?.reason, 'breakers_open', 'the last wait was for the open breaker');
    assert.equal(status.queue?.waits, 3, 'outage, outage, breaker open');
    await replays(id);
  });

  it('rate-limited everywhere: the request waits and a caller answered within holdSync simply gets 200', async () => {
    gw.mock.queueFaults('mock-busy', ['status=429,retry-after=1']);
    const res = await ask('limited');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.gatehouse.attempts.map((a: any) => [a.outcome, a.error]), [['failed', 'ProviderRateLimited'], ['ok', undefined]]);
    const status = await gw.client.workflow.getHandle(res.json.gatehouse.request_id).query(statusQuery);
    assert.deepEqual([status.queue?.reason, status.queue?.waits, status.queue?.held], ['rate_limited', 1, false]);

    // Streamed: nothing is sent while the request waits; once a model answers, the stream is whole.
    gw.mock.queueFaults('mock-busy', ['status=429']);
    const streamed = await streamChat(gw.url, hello('stream after the wait'), { ...as('caller'), 'x-gatehouse-task': 'limited' });
    assert.equal(streamed.status, 200);
    assert.equal(streamed.done, true, 'ends with [DONE]');
    assert.equal(streamed.text, 'Mock answer to: stream after the wait');
  });

  it('maxWait passes: 503 queue_timeout naming the wait and the reason; the ledger row failed with that code', async () => {
    const started = Date.now();
    const res = await ask('hopeless');
    assert.equal(res.status, 503, JSON.stringify(res.json));
    assert.ok(Date.now() - started >= 2_000, 'it waited maxWait first');
    assert.equal(res.json.error.code, 'queue_timeout');
    assert.match(res.json.error.message, /^Waited \d+(\.\d)?s in the queue and no model became available: /);
    assert.ok(res.json.gatehouse.queue.waited_ms >= 2_000);
    assert.ok(['provider_outage', 'breakers_open'].includes(res.json.gatehouse.queue.reason));
    const id = res.headers.get('x-gatehouse-request-id')!;
    await waitFor(async () => (await gw.ledger.get(id)) !== undefined, 10_000, 'the ledger row');
    assert.deepEqual([(await gw.ledger.get(id))?.status, (await gw.ledger.get(id))?.error_code], ['failed', 'queue_timeout']);
  });

  it('the caller may opt out (x-gatehouse-queue: no): the failure comes at once, as without a queue', async () => {
    assert.equal((await admin('POST', '/admin/routes/disable', { target: 'cancelled', kind: 'route', reason: 'maintenance' })).status, 200);
    const res = await ask('cancelled', hello(), { 'x-gatehouse-queue': 'no' });
    assert.equal(res.status, 503, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'route_disabled');
    const bad = await ask('cancelled', hello(), { 'x-gatehouse-queue': 'forever' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_queue_preference');
    // The TypeScript client says the same with `queue: 'no'`.
    const client = await GatehouseClient.connect({ apiKey: KEYS.caller, temporal: { address: gw.temporalAddress }, taskQueue: gw.taskQueue, env: { ...gw.env, GATEHOUSE_DATA_DIR: gw.dir } });
    try {
      await assert.rejects(client.request({ task: 'cancelled', queue: 'no', body: hello() }), (e: unknown) => e instanceof GatewayError && e.code === 'route_disabled' && e.status === 503);
    } finally {
      await client.close();
    }
  });

  it('cancel while queued: request_cancelled, the ledger row cancelled, the queue empty', async () => {
    const res = await ask('cancelled', hello(), { prefer: 'respond-async' });
    assert.equal(res.status, 202);
    const id = res.json.id;
    await waitForAsync(async () => (await view(id)).status === 'queued', 10_000, 'the request queued');
    await gw.client.workflow.getHandle(id).cancel();
    const done = await finished(id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.error.code, 'request_cancelled');
    await waitFor(async () => (await gw.ledger.get(id)) !== undefined, 10_000, 'the ledger row');
    assert.equal((await gw.ledger.get(id))?.status, 'cancelled');
    assert.equal(gw.mock.calls('mock-lone'), 0);
    await waitForAsync(async () => !(await depth()).routes.some((r: any) => r.route === 'cancelled'), 10_000, 'the queue drained');
  });
});
