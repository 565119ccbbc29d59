import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/webhook';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';
import { streamChat } from '../helpers/sse';
import { api, asReviewer, reviewConfig } from '../helpers/review';

const HOOK_KEY = 'test-key-hooked-caller-0123456789ab';
const SECRET = 'webhook-secret-for-tests';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that records deliveries; `failNext` answers 500 that many times first. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const state = { failNext: 0, attempts: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.attempts++;
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(500).end();
        return;
      }
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, deliveries, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('caller webhook (real dev server, real receiver)', () => {
  let gw: TestGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const auth = { authorization: `Bearer ${HOOK_KEY}` };
  const forRequest = (id: string) => receiver.deliveries.filter((d) => d.headers['x-gatehouse-request-id'] === id);

  before(async () => {
    receiver = await startReceiver();
    gw = await startTestGateway({
      env: { TEST_HOOK_SECRET: SECRET },
      config: (u) =>
        reviewConfig(u, (c) => {
          c.callers.hooked = { team: 'apps', tasks: ['chat', 'draft', 'trickle'], keyHash: hashApiKey(HOOK_KEY), webhook: { url: receiver.url, secretEnv: 'TEST_HOOK_SECRET' } };
          // A slow stream on a route that calls locally: its first try runs in admission's step.
          c.models.trickle = { provider: 'mock', upstream: 'mock-trickle+chunk-delay=400' };
          c.routes.push({ name: 'trickle', match: { task: 'trickle' }, primary: 'trickle', timeout: '30s', retries: 0, providerCall: 'local' });
        }),
    });
  });
  after(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('a held request, once approved, is POSTed signed (HMAC-SHA256 of the body), retried past a failing receiver', async () => {
    receiver.state.failNext = 1;
    const res = await chat(gw.url, hello('notify me'), { ...auth, 'x-gatehouse-task': 'draft' });
    assert.equal(res.status, 202);
    const id = res.json.id as string;
    assert.equal((await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), {})).status, 200);
    await waitFor(() => forRequest(id).length > 0, 20_000, 'the webhook delivery');
    const d = forRequest(id)[0]!;
    assert.ok(verifySignature(d.body, SECRET, d.headers[SIGNATURE_HEADER] as string), 'signature verifies');
    assert.ok(!verifySignature(d.body, 'wrong-secret', d.headers[SIGNATURE_HEADER] as string));
    const body = JSON.parse(d.body);
    assert.equal(body.id, id);
    assert.equal(body.status, 'completed');
    assert.equal(body.result.choices[0].message.content, 'Mock answer to: notify me');
    assert.equal(String(body.timestamp), d.headers[TIMESTAMP_HEADER], 'the signed body carries the timestamp header');
    assert.ok(receiver.state.attempts >= 2, 'the first (500) delivery was retried');
  });

  it('a synchronous answer is not delayed by the webhook, which still arrives; a rejection is delivered as the error', async () => {
    const res = await chat(gw.url, hello('sync one'), { ...auth, 'x-gatehouse-task': 'chat' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const id = res.headers.get('x-gatehouse-request-id')!;
    await waitFor(() => forRequest(id).length > 0, 20_000, 'the webhook delivery');
    assert.equal(JSON.parse(forRequest(id)[0]!.body).status, 'completed');

    const held = await chat(gw.url, hello('reject me'), { ...auth, 'x-gatehouse-task': 'draft' });
    await api(gw.url, 'POST', `/admin/reviews/${held.json.id}/reject`, asReviewer('alice'), { reason: 'no' });
    await waitFor(() => forRequest(held.json.id).length > 0, 20_000, 'the webhook delivery');
    const body = JSON.parse(forRequest(held.json.id)[0]!.body);
    assert.deepEqual([body.status, body.http_status, body.error.code], ['failed', 422, 'review_rejected']);
  });

  it('a request cancelled during the first try made in admission\'s step (the caller hung up) is delivered as cancelled', { timeout: 30_000 }, async () => {
    const res = await streamChat(gw.url, hello('a long answer nobody waits for'), { ...auth, 'x-gatehouse-task': 'trickle' }, { abortAfterContentChunks: 1 });
    const id = res.headers.get('x-gatehouse-request-id')!;
    // The cancellation reaches a local step when its workflow task heartbeats (~8 s).
    await waitFor(() => forRequest(id).length > 0, 25_000, 'the webhook delivery');
    const body = JSON.parse(forRequest(id)[0]!.body);
    assert.equal(body.status, 'cancelled', forRequest(id)[0]!.body);
  });
});
