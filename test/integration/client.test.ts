import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GatehouseClient, GatewayError } from '../../src';
import { KEYS, auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';
import { credentialTag } from '../../src/temporal/requestStarter';

describe('TypeScript client (real dev server)', () => {
  let gw: TestGateway;
  let client: GatehouseClient;
  before(async () => {
    gw = await startTestGateway();
    client = await GatehouseClient.connect({
      apiKey: KEYS.support,
      temporal: { address: gw.temporalAddress },
      taskQueue: gw.taskQueue,
      env: { ...gw.env, GATEHOUSE_DATA_DIR: gw.dir },
    });
  });
  after(async () => {
    await client?.close();
    await gw?.close();
  });

  it('request() answers through the same workflow, ledger included', async () => {
    const res = await client.request({ body: hello('from the client'), requestId: `c-${Date.now()}` });
    assert.equal(res.choices[0]?.message.content, 'Mock answer to: from the client');
    assert.equal(res.gatehouse.route, 'chat');
    assert.equal((await gw.ledger.get(res.gatehouse.request_id))?.caller, 'support');
  });

  it('the same request id twice → one provider call, the first run’s handle', async () => {
    const before = gw.mock.calls('mock-small');
    const requestId = `same-${Date.now()}`;
    const a = await client.start({ body: hello('twice'), requestId });
    const b = await client.start({ body: hello('twice'), requestId });
    assert.equal(a.requestId, `req-${credentialTag(KEYS.support)}-${requestId}`, 'scoped by the API key');
    assert.equal(b.requestId, a.requestId);
    assert.deepEqual(await b.result(), await a.result());
    assert.equal(gw.mock.calls('mock-small') - before, 1);
  });

  it('invalid input fails in the client with the schema message', async () => {
    await assert.rejects(client.request({ body: { model: 'auto', messages: [] } }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'invalid_request');
      assert.match(err.message, /messages: messages must not be empty/);
      return true;
    });
  });

  /** A raw Temporal start (anyone with namespace access and the codec key could do it): denied, provider untouched. */
  async function assertRawStartDenied(workflowId: string, credential: string, code: string) {
    const before = gw.mock.calls();
    const handle = await gw.client.workflow.start('aiRequest', {
      taskQueue: gw.taskQueue,
      workflowId,
      args: [{ requestId: workflowId, credential, body: hello('sneak in') }],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'PolicyDenied');
      assert.equal(err.cause.nonRetryable, true);
      assert.equal((err.cause.details?.[0] as { code?: string })?.code, code);
      return true;
    });
    assert.equal(gw.mock.calls(), before, 'the provider was never called');
    await waitFor(async () => (await gw.ledger.get(workflowId))?.status === 'denied', 10_000, 'ledger row');
  }

  const rawCases = [['no', '', 'missing_api_key'], ['a wrong', 'not-a-key', 'credential_not_sealed'], ['a valid but unsealed', KEYS.support, 'credential_not_sealed']] as const;
  for (const [name, credential, code] of rawCases) {
    it(`a raw workflow start with ${name} credential is denied before any provider call`, async () => {
      await assertRawStartDenied(`raw-${name.replace(/ /g, '-')}-${Date.now()}`, credential, code);
    });
  }

  it('a sealed credential taken from one request\'s history and replayed onto another id is denied', async () => {
    const req = await client.start({ body: hello('original') });
    await req.result();
    // What someone holding the codec key reads from the history: the envelope, never the key.
    const started = (await gw.client.workflow.getHandle(req.requestId).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
    const { payloadCodecs, payloadConverter } = gw.client.options.loadedDataConverter;
    const [payload] = await payloadCodecs[0]!.decode(started.input!.payloads!);
    const envelope = payloadConverter.fromPayload<{ credential: string }>(payload!).credential;
    assert.match(envelope, /^ghsealed1\./);
    assert.ok(!envelope.includes(KEYS.support));
    await assertRawStartDenied(`replayed-${Date.now()}`, envelope, 'credential_invalid');
  });

  it('an envelope issued long before the workflow started is denied as expired', async () => {
    const id = `stale-${Date.now()}`;
    const stale = await gw.starter.sealer!.seal(KEYS.support, { workflowId: id, purpose: 'start' }, Date.now() - 10 * 60_000);
    await assertRawStartDenied(id, stale, 'credential_expired');
  });

  it('credentials never appear in clear in the history or search attributes', async () => {
    const req = await client.start({ body: hello('secret keeping') });
    await req.result();
    const handle = gw.client.workflow.getHandle(req.requestId);
    const history = JSON.stringify(await handle.fetchHistory());
    const rawKey = Buffer.from(KEYS.support).toString('base64');
    assert.ok(!history.includes(KEYS.support) && !history.includes(rawKey), 'API key found in history');
    assert.ok(!history.includes(Buffer.from('secret keeping').toString('base64')), 'prompt found unencrypted');
    const desc = await handle.describe();
    assert.ok(!JSON.stringify(desc.raw).includes(KEYS.support));
  });

  it('status() reports the current step while the provider works, cancel() stops it', async () => {
    gw.mock.queueFaults('mock-small', ['latency=4000']);
    const req = await client.start({ body: hello('slow one') });
    await waitFor(() => gw.mock.calls('mock-small') > 0, 10_000, 'provider call');
    let status = await req.status();
    for (let i = 0; status.step !== 'calling' && i < 50; i++) status = await req.status();
    assert.equal(status.step, 'calling');
    assert.equal(status.route, 'chat');
    assert.equal(status.caller, 'support');
    await req.cancel();
    // The typed error README promises, as over HTTP (GET /v1/requests/{id} says request_cancelled, 409).
    await assert.rejects(req.result(), (err: unknown) => err instanceof GatewayError && err.code === 'request_cancelled' && err.status === 409);
    await waitFor(async () => (await gw.ledger.get(req.requestId))?.status === 'cancelled', 10_000, 'ledger row');
    assert.equal((await req.status()).step, 'cancelled');
  });

  it('get() follows a request started over HTTP', async () => {
    const key = `http-${Date.now()}`;
    const res = await chat(gw.url, hello('via http'), { ...auth(KEYS.support), 'idempotency-key': key });
    const found = client.get(res.headers.get('x-gatehouse-request-id')!);
    assert.equal(found.requestId, `req-${credentialTag(KEYS.support)}-${key}`);
    assert.deepEqual(await found.result(), res.json);
    assert.equal((await found.status()).step, 'completed');
  });
});
