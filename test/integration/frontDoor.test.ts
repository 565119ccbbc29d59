import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { KEYS, auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { localActivityTypes } from '../helpers/history';

describe('front door (real dev server, real mock provider)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw?.close());

  it('answers a completion through the unmodified openai client and records it', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.support, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, 'Mock answer to: Hello there');
    assert.equal(data.model, 'small');
    assert.ok(data.usage && data.usage.total_tokens > 0);
    const requestId = response.headers.get('x-gatehouse-request-id');
    assert.match(requestId ?? '', /^req-/);
    assert.equal(response.headers.get('x-gatehouse-route'), 'chat');
    const meta = (data as unknown as { gatehouse: Record<string, unknown> }).gatehouse;
    assert.equal(meta.request_id, requestId);
    assert.equal(meta.route, 'chat');
    assert.equal(meta.upstream_model, 'mock-small');
    assert.deepEqual(meta.fallbacks, []);

    const row = (await gw.ledger.get(requestId!));
    assert.equal(row?.status, 'completed');
    assert.equal(row?.caller, 'support');
    assert.equal(row?.team, 'support');
    assert.equal(row?.model, 'small');
    assert.equal(row?.total_tokens, data.usage?.total_tokens);

    assert.deepEqual(JSON.parse(row!.attempts).map((a: { model: string; outcome: string }) => [a.model, a.outcome]), [['small', 'ok']]);

    // The history is the audit trail: the prepare (admission + plan) marker and the provider activity.
    // Nothing is checked after this route's answer, so the provider call wrote the ledger row itself.
    const history = await gw.client.workflow.getHandle(requestId!).fetchHistory();
    const events = history.events ?? [];
    assert.ok(events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callProvider'));
    assert.deepEqual(await localActivityTypes(gw.client, requestId!), ['prepareRequest']);
    const desc = await gw.client.workflow.getHandle(requestId!).describe();
    assert.equal(desc.typedSearchAttributes.getAll().find((p) => p.key.name === 'GatehouseStatus')?.value, 'completed');
  });

  it('401 for a missing or unknown key, as OpenAI-style JSON', async () => {
    const missing = await chat(gw.url, hello());
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error.code, 'missing_api_key');
    assert.equal(missing.json.error.type, 'authentication_error');
    const wrong = await chat(gw.url, hello(), auth('nope'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.code, 'invalid_api_key');
  });

  it('403 for a task the caller may not use, with the reason and a request id', async () => {
    const res = await chat(gw.url, hello(), { ...auth(KEYS.analyst), 'x-gatehouse-task': 'chat' });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'task_not_allowed');
    assert.equal(res.json.error.type, 'permission_error');
    const id = res.headers.get('x-gatehouse-request-id');
    assert.ok(id);
    assert.equal((await gw.ledger.get(id))?.status, 'denied');
  });

  it('400 for malformed bodies, naming the problem', async () => {
    const notJson = await chat(gw.url, '{"model": ', auth(KEYS.support));
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.error.code, 'invalid_json');
    const noMessages = await chat(gw.url, { model: 'auto' }, auth(KEYS.support));
    assert.equal(noMessages.status, 400);
    assert.equal(noMessages.json.error.code, 'invalid_request');
    assert.equal(noMessages.json.error.param, 'messages');
    const badRole = await chat(gw.url, { model: 'auto', messages: [{ role: 'wizard', content: 'x' }] }, auth(KEYS.support));
    assert.equal(badRole.status, 400);
    assert.equal(badRole.json.error.param, 'messages.0.role');
    const unknownModel = await chat(gw.url, hello('x', 'gpt-17'), auth(KEYS.support));
    assert.equal(unknownModel.status, 404);
    assert.equal(unknownModel.json.error.code, 'model_not_found');
  });

  it('task comes from the header, then metadata.task, then the caller default', async () => {
    const byHeader = await chat(gw.url, hello(), { ...auth(KEYS.support), 'x-gatehouse-task': 'summarize' });
    assert.equal(byHeader.json.gatehouse.route, 'summarize');
    const byMeta = await chat(gw.url, { ...hello(), metadata: { task: 'summarize' } }, auth(KEYS.support));
    assert.equal(byMeta.json.gatehouse.route, 'summarize');
    const byDefault = await chat(gw.url, hello(), auth(KEYS.support));
    assert.equal(byDefault.json.gatehouse.route, 'chat');
  });

  it('the same Idempotency-Key returns the same result and calls the provider once', async () => {
    const before = gw.mock.calls('mock-small');
    const headers = { ...auth(KEYS.support), 'idempotency-key': `idem-${Date.now()}` };
    const first = await chat(gw.url, hello('once only'), headers);
    const second = await chat(gw.url, hello('once only'), headers);
    assert.equal(first.status, 200);
    assert.deepEqual(second.json, first.json);
    assert.equal(second.headers.get('x-gatehouse-request-id'), first.headers.get('x-gatehouse-request-id'));
    assert.equal(gw.mock.calls('mock-small') - before, 1);
    const reused = await chat(gw.url, hello('something else'), headers);
    assert.equal(reused.status, 409);
    assert.equal(reused.json.error.code, 'idempotency_key_reused');
  });

  it('GET /v1/models lists what this caller may use; /healthz answers', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: auth(KEYS.analyst) });
    const body = (await res.json()) as { data: Array<{ id: string }> };
    assert.deepEqual(body.data.map((m) => m.id).sort(), ['auto', 'large']);
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200);
    const unauth = await fetch(`${gw.url}/v1/models`);
    assert.equal(unauth.status, 401);
  });
});
