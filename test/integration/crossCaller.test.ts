import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GatehouseClient } from '../../src';
import { hashApiKey } from '../../src/auth';
import { credentialTag } from '../../src/temporal/requestStarter';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';
import { streamChat } from '../helpers/sse';

/** How many times each race is run: the original cross-caller leak showed in 4 of 10 tries. */
const TRIALS = 5;
const SLOW = 'mock-slow+chunk-delay=60';
const HOOK_KEY = 'test-key-hooked-caller-0123456789ab';

const config = (mockUrl: string) => {
  const base = testConfig(mockUrl) as Record<string, any>;
  base.callers.support.tasks = ['chat', 'slow'];
  base.callers.analyst.tasks = ['chat', 'slow'];
  // The receiver never answers: this caller's webhook is only there to make the request start a child.
  base.callers.hooked = { team: 'apps', tasks: ['chat'], keyHash: hashApiKey(HOOK_KEY), webhook: { url: 'http://127.0.0.1:9/hook', secretEnv: 'TEST_HOOK_SECRET' } };
  base.models.slow = { provider: 'mock', upstream: SLOW };
  base.routes = [
    { name: 'chat', match: { task: 'chat' }, primary: 'small', timeout: '5s' },
    { name: 'slow', match: { task: 'slow' }, primary: 'slow', timeout: '10s' },
  ];
  return base;
};

const as = (key: string, task: string, idempotencyKey: string) => ({ ...auth(key), 'x-gatehouse-task': task, 'idempotency-key': idempotencyKey });
const answerTo = (prompt: string) => `Mock answer to: ${prompt}`;

/** A streamed request whose caller hangs up `ms` after sending it (headers or not); what it received. */
async function hangUpAfter(url: string, body: object, headers: Record<string, string>, ms: number): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  let received = '';
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ ...body, stream: true }),
      signal: controller.signal,
    });
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) received += Buffer.from(piece).toString();
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return received;
}

describe('isolation between callers: one Idempotency-Key, two callers (real dev server, real HTTP)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ config, env: { TEST_HOOK_SECRET: 'webhook-secret-for-tests' } });
  });
  after(() => gw?.close());

  it('streamed, concurrently: each caller streams only its own answer, neither gets a 409', async () => {
    for (let i = 0; i < TRIALS; i++) {
      const key = `shared-stream-${randomUUID()}`;
      const [a, b] = await Promise.all([
        streamChat(gw.url, hello(`alpha ${i} one two three`), as(KEYS.support, 'slow', key)),
        streamChat(gw.url, hello(`beta ${i} four five six`), as(KEYS.analyst, 'slow', key)),
      ]);
      assert.deepEqual([a.status, b.status], [200, 200], `trial ${i}: ${JSON.stringify([a.json, b.json])}`);
      assert.equal(a.text, answerTo(`alpha ${i} one two three`), `trial ${i}: the first caller's stream`);
      assert.equal(b.text, answerTo(`beta ${i} four five six`), `trial ${i}: the second caller's stream`);
      assert.ok(a.done && b.done && !a.error && !b.error);
      const [idA, idB] = [a.headers.get('x-gatehouse-request-id')!, b.headers.get('x-gatehouse-request-id')!];
      assert.notEqual(idA, idB, 'two callers, two requests');
      await waitFor(async () => (await gw.ledger.get(idA))?.status === 'completed' && (await gw.ledger.get(idB))?.status === 'completed', 10_000, 'both ledger rows');
      assert.deepEqual([(await gw.ledger.get(idA))?.caller, (await gw.ledger.get(idB))?.caller], ['support', 'analyst']);
    }
  });

  it('not streamed, sync: each gets its own answer, and a repeat rejoins only its own request', async () => {
    for (let i = 0; i < TRIALS; i++) {
      const key = `shared-sync-${randomUUID()}`;
      const before = gw.mock.calls('mock-small');
      const [a, b] = await Promise.all([
        chat(gw.url, hello(`sync alpha ${i}`), as(KEYS.support, 'chat', key)),
        chat(gw.url, hello(`sync beta ${i}`), as(KEYS.analyst, 'chat', key)),
      ]);
      assert.deepEqual([a.status, b.status], [200, 200], `trial ${i}: ${JSON.stringify([a.json, b.json])}`);
      assert.equal(a.json.choices[0].message.content, answerTo(`sync alpha ${i}`));
      assert.equal(b.json.choices[0].message.content, answerTo(`sync beta ${i}`));
      assert.notEqual(a.json.gatehouse.request_id, b.json.gatehouse.request_id);
      const again = await chat(gw.url, hello(`sync beta ${i}`), as(KEYS.analyst, 'chat', key));
      assert.equal(again.status, 200);
      assert.deepEqual(again.json, b.json, 'the repeat is the same request, same answer');
      assert.equal(gw.mock.calls('mock-small') - before, 2, 'two requests, two provider calls; the repeat made none');
    }
  });

  it('async (Prefer: respond-async): each polls its own answer; the other caller\'s id is a plain 404', async () => {
    const key = `shared-async-${randomUUID()}`;
    const prefer = { prefer: 'respond-async' };
    const [a, b] = await Promise.all([
      chat(gw.url, hello('async alpha'), { ...as(KEYS.support, 'chat', key), ...prefer }),
      chat(gw.url, hello('async beta'), { ...as(KEYS.analyst, 'chat', key), ...prefer }),
    ]);
    assert.deepEqual([a.status, b.status], [202, 202], JSON.stringify([a.json, b.json]));
    assert.notEqual(a.json.id, b.json.id);
    const poll = async (location: string, key: string) => {
      const res = await fetch(`${gw.url}${location}`, { headers: auth(key) });
      return { status: res.status, json: (await res.json()) as any };
    };
    for (const [res, k, prompt] of [[a, KEYS.support, 'async alpha'], [b, KEYS.analyst, 'async beta']] as const) {
      const location = res.headers.get('location')!;
      let view = await poll(location, k);
      for (let i = 0; view.json.status === 'running' && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        view = await poll(location, k);
      }
      assert.equal(view.status, 200);
      assert.equal(view.json.status, 'completed');
      assert.equal(view.json.result.choices[0].message.content, answerTo(prompt));
    }
    const peek = await poll(a.headers.get('location')!, KEYS.analyst);
    const unknown = await poll(`/v1/requests/req-${credentialTag(KEYS.analyst)}-${key}-nothing`, KEYS.analyst);
    assert.equal(peek.status, 404);
    assert.equal(peek.json.error.code, unknown.json.error.code, 'the same answer as for an id that does not exist');
  });

  it('a caller hanging up its stream cannot cancel the other caller\'s request with the same key', async () => {
    for (let i = 0; i < TRIALS; i++) {
      const key = `shared-hangup-${randomUUID()}`;
      const [quitter, stayer] = await Promise.all([
        streamChat(gw.url, hello(`quit ${i} one two three`), as(KEYS.support, 'slow', key), { abortAfterContentChunks: 1 }),
        streamChat(gw.url, hello(`stay ${i} four five six`), as(KEYS.analyst, 'slow', key)),
      ]);
      assert.equal(stayer.status, 200);
      assert.equal(stayer.text, answerTo(`stay ${i} four five six`), `trial ${i}`);
      assert.ok(stayer.done && !stayer.error, `trial ${i}: ${JSON.stringify(stayer.error)}`);
      const quitId = quitter.headers.get('x-gatehouse-request-id')!;
      const stayId = stayer.headers.get('x-gatehouse-request-id')!;
      await waitFor(async () => (await gw.ledger.get(quitId))?.status === 'cancelled', 15_000, 'the quitter\'s own request cancelled');
      await waitFor(async () => (await gw.ledger.get(stayId)) !== undefined, 10_000, 'the other request recorded');
      assert.equal((await gw.ledger.get(stayId))?.status, 'completed');
    }
  });

  it('the same caller\'s repeat with another body is a 409 and receives no chunk; the first stream is untouched', async () => {
    for (let i = 0; i < 2 * TRIALS; i++) {
      const key = `own-conflict-${randomUUID()}`;
      // Started together on the fast route (chunks come while the loser's start is still being refused):
      // either may win the start; the other must get the 409 and nothing else.
      const results = await Promise.all([
        streamChat(gw.url, hello(`first ${i} one two three`), as(KEYS.support, 'chat', key)),
        streamChat(gw.url, hello(`other ${i} four five six`), as(KEYS.support, 'chat', key)),
      ]);
      const won = results.filter((r) => r.status === 200);
      const refused = results.filter((r) => r.status === 409);
      assert.equal(won.length, 1, `trial ${i}: ${results.map((r) => r.status).join(',')}`);
      assert.equal(refused.length, 1);
      assert.equal(refused[0]!.json.error.code, 'idempotency_key_reused');
      assert.deepEqual(refused[0]!.events, [], 'no chunk of the other body reached the refused call');
      assert.ok([answerTo(`first ${i} one two three`), answerTo(`other ${i} four five six`)].includes(won[0]!.text), won[0]!.text);
      assert.ok(won[0]!.done && !won[0]!.error);
    }
  });

  it('the same caller\'s repeat (same body) gets no live chunks and its hang-up cancels nothing', async () => {
    const key = `own-repeat-${randomUUID()}`;
    const body = hello('patient one two three four five six');
    const calls = gw.mock.calls(SLOW);
    const first = streamChat(gw.url, body, as(KEYS.support, 'slow', key));
    await waitFor(() => gw.mock.calls(SLOW) > calls, 10_000, 'the first request calling the provider');
    const received = await hangUpAfter(gw.url, body, as(KEYS.support, 'slow', key), 300);
    const done = await first;
    assert.ok(!received.includes('Mock'), `the rejoin saw live chunks: ${received}`);
    assert.equal(done.text, answerTo('patient one two three four five six'));
    assert.ok(done.done && !done.error, JSON.stringify(done.error));
    const id = done.headers.get('x-gatehouse-request-id')!;
    await waitFor(async () => (await gw.ledger.get(id)) !== undefined, 10_000, 'ledger row');
    assert.equal((await gw.ledger.get(id))?.status, 'completed');
  });

  it('an HTTP repeat of a request the client started rejoins it: no live chunks, and its hang-up cancels nothing', async () => {
    // The client's start subscribes nothing, so the HTTP repeat is the first (and only) subscriber of
    // the running request: before ownership was checked, it got the live chunks and could cancel.
    const client = await GatehouseClient.connect({ apiKey: KEYS.support, temporal: { client: gw.client }, taskQueue: gw.taskQueue, env: { GATEHOUSE_DATA_DIR: gw.dir } });
    for (let i = 0; i < TRIALS; i++) {
      const key = `client-first-${randomUUID()}`;
      const body = { ...hello(`started by the client ${i} one two three four five`), stream: true };
      const started = await client.start({ body, task: 'slow', requestId: key });
      const received = await hangUpAfter(gw.url, body, as(KEYS.support, 'slow', key), 400);
      assert.ok(!received.includes('Mock'), `trial ${i}: the rejoin saw live chunks: ${received}`);
      const answer = await started.result();
      assert.equal(answer.choices[0]?.message.content, answerTo(`started by the client ${i} one two three four five`));
      assert.equal(answer.gatehouse.request_id, `req-${credentialTag(KEYS.support)}-${key}`, 'client requestId and HTTP Idempotency-Key name the same request');
    }
  });

  it('a webhook child that cannot start leaves the answered request completed: answer, status and ledger agree', async () => {
    const key = `child-taken-${randomUUID()}`;
    const requestId = `req-${credentialTag(HOOK_KEY)}-${key}`;
    // Someone holds `<requestId>/webhook` already (on a queue no worker polls, so it stays running).
    const squatter = await gw.client.workflow.start('webhookDelivery', { taskQueue: `nobody-${randomUUID()}`, workflowId: `${requestId}/webhook`, args: [{}] });
    try {
      const res = await chat(gw.url, hello('billed answer'), as(HOOK_KEY, 'chat', key));
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.gatehouse.request_id, requestId);
      assert.equal(res.json.choices[0].message.content, answerTo('billed answer'));
      const handle = gw.client.workflow.getHandle(requestId);
      assert.equal((await handle.describe()).status.name, 'COMPLETED');
      const status = await fetch(`${gw.url}/v1/requests/${requestId}`, { headers: auth(HOOK_KEY) });
      assert.equal(((await status.json()) as { status: string }).status, 'completed');
      await waitFor(async () => (await gw.ledger.get(requestId)) !== undefined, 10_000, 'ledger row');
      assert.equal((await gw.ledger.get(requestId))?.status, 'completed');
      assert.ok(((await gw.ledger.get(requestId))?.total_tokens ?? 0) > 0, 'the provider call is on the books');
    } finally {
      await squatter.terminate('test cleanup');
    }
  });
});
