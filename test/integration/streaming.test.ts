import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { hashApiKey } from '../../src/auth';
import { KEYS, auth, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';
import { streamChat } from '../helpers/sse';
import { localActivityTypes } from '../helpers/history';

const TASKS = ['chat', 'summarize', 'slow', 'cancel', 'draft', 'extract', 'slowlocal', 'cancellocal'];

const config = (mockUrl: string) => {
  const base = testConfig(mockUrl) as Record<string, any>;
  base.callers.support.tasks = TASKS;
  base.callers.reviewer = { team: 'qa', roles: ['reviewer'], keyHash: hashApiKey('test-key-reviewer-0123456789abcdef') };
  return {
    ...base,
    models: {
      small: { provider: 'mock', upstream: 'mock-small' },
      large: { provider: 'mock', upstream: 'mock-large' },
      slow: { provider: 'mock', upstream: 'mock-slow+chunk-delay=150' },
      hangup: { provider: 'mock', upstream: 'mock-hangup+chunk-delay=400' },
    },
    routes: [
      { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large'], timeout: '5s' },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large' },
      { name: 'slow', match: { task: 'slow' }, primary: 'slow', timeout: '10s' },
      { name: 'cancel', match: { task: 'cancel' }, primary: 'hangup', fallbacks: ['large'], timeout: '10s', retries: 2 },
      { name: 'draft', match: { task: 'draft' }, primary: 'small', review: { when: 'always', deadline: '1h', reviewers: ['reviewer'] } },
      { name: 'extract', match: { task: 'extract' }, primary: 'small', validation: { maxChars: 4000 } },
      { name: 'slowlocal', match: { task: 'slowlocal' }, primary: 'slow', timeout: '10s', providerCall: 'local' },
      { name: 'cancellocal', match: { task: 'cancellocal' }, primary: 'hangup', fallbacks: ['large'], timeout: '10s', retries: 2, providerCall: 'local' },
    ],
  };
};

describe('streaming (real dev server, mock provider)', () => {
  let gw: TestGateway;
  const headers = (task: string) => ({ ...auth(KEYS.support), 'x-gatehouse-task': task });
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  it('streams OpenAI chunks to the unmodified openai client, with usage when asked, and records the whole answer', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.support, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'Stream me' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, 'Mock answer to: Stream me');
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'small'));
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage && last.usage.total_tokens > 0, 'usage chunk last');
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason === 'stop').length, 1);

    const requestId = response.headers.get('x-gatehouse-request-id')!;
    assert.match(requestId, /^req-/);
    assert.equal(response.headers.get('x-gatehouse-model'), 'small');
    await waitFor(async () => (await gw.ledger.get(requestId))?.status === 'completed', 5000, 'ledger row');
    const row = (await gw.ledger.get(requestId))!;
    assert.equal(row.model, 'small');
    assert.equal(row.total_tokens, last.usage!.total_tokens);
    const result = (await gw.client.workflow.getHandle(requestId).result()) as any;
    assert.equal(result.choices[0].message.content, 'Mock answer to: Stream me', 'history holds the assembled answer');
  });

  it('without include_usage no chunk carries usage; the stream ends with [DONE]', async () => {
    const res = await streamChat(gw.url, hello('No usage'), headers('chat'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.done, true);
    assert.equal(res.text, 'Mock answer to: No usage');
    assert.ok(res.events.every((e) => !('usage' in e)));
  });

  it('chunks are forwarded live, not after the answer is complete', async () => {
    const res = await streamChat(gw.url, hello('one two three four five six'), headers('slow'));
    assert.equal(res.done, true);
    assert.equal(res.text, 'Mock answer to: one two three four five six');
    // Eight words, 150 ms apart: the first arrives long before the last.
    assert.ok(res.totalMs - res.firstContentMs! >= 700, `first ${res.firstContentMs} ms, end ${res.totalMs} ms`);
  });

  it('a caller who hangs up cancels the workflow: the provider call stops, nothing is retried or failed over', async () => {
    const before = { hangup: gw.mock.calls('mock-hangup+chunk-delay=400'), large: gw.mock.calls('mock-large') };
    const res = await streamChat(gw.url, hello('a long answer that the caller will not wait for'), headers('cancel'), { abortAfterContentChunks: 1 });
    assert.equal(res.text, 'Mock ');
    const id = res.headers.get('x-gatehouse-request-id')!;
    await waitFor(async () => (await gw.ledger.get(id))?.status === 'cancelled', 15_000, 'the request recorded as cancelled');
    const handle = gw.client.workflow.getHandle(id);
    await assert.rejects(handle.result()); // the ledger row is written just before the workflow closes
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(gw.mock.calls('mock-hangup+chunk-delay=400') - before.hangup, 1, 'no retry');
    assert.equal(gw.mock.calls('mock-large') - before.large, 0, 'no fallback');
  });

  it('on a route that calls locally, the first try runs with admission (one step) and still streams live', async () => {
    const res = await streamChat(gw.url, hello('one two three four five six'), headers('slowlocal'));
    assert.equal(res.done, true);
    assert.equal(res.text, 'Mock answer to: one two three four five six');
    assert.ok(res.totalMs - res.firstContentMs! >= 700, `first ${res.firstContentMs} ms, end ${res.totalMs} ms`);
    const id = res.headers.get('x-gatehouse-request-id')!;
    assert.deepEqual(await localActivityTypes(gw.client, id), ['prepareRequest'], 'admission made the call: no second step');
    assert.equal((await gw.ledger.get(id))?.status, 'completed');
  });

  it('a hang-up during that first try cancels the request, recorded with its caller and route; no retry, no fallback', { timeout: 30_000 }, async () => {
    const before = { hangup: gw.mock.calls('mock-hangup+chunk-delay=400'), large: gw.mock.calls('mock-large') };
    const res = await streamChat(gw.url, hello('a long answer that the caller will not wait for'), headers('cancellocal'), { abortAfterContentChunks: 1 });
    assert.equal(res.text, 'Mock ');
    const id = res.headers.get('x-gatehouse-request-id')!;
    // A local step learns of the cancellation when its workflow task heartbeats (~8 s).
    await waitFor(async () => (await gw.ledger.get(id))?.status === 'cancelled', 20_000, 'the request recorded as cancelled');
    const row = (await gw.ledger.get(id))!;
    assert.deepEqual([row.caller, row.route], ['support', 'cancellocal'], 'admission is known: the row says whose and where');
    const handle = gw.client.workflow.getHandle(id);
    await assert.rejects(handle.result());
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    assert.deepEqual(await localActivityTypes(gw.client, id), ['prepareRequest', 'recordOutcome']);
    assert.equal(gw.mock.calls('mock-hangup+chunk-delay=400') - before.hangup, 1, 'no retry');
    assert.equal(gw.mock.calls('mock-large') - before.large, 0, 'no fallback');
  });

  it('a route that holds answers for review does not stream: 202 with the request id', async () => {
    const res = await streamChat(gw.url, hello('Please review'), headers('draft'));
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json.status, 'awaiting_review');
    await gw.client.workflow.getHandle(res.headers.get('x-gatehouse-request-id')!).cancel();
  });

  it('a route that validates answers streams them only after validation (replayed, whole)', async () => {
    const res = await streamChat(gw.url, { ...hello('Check me'), stream_options: { include_usage: true } }, headers('extract'));
    assert.equal(res.status, 200);
    assert.equal(res.done, true);
    assert.equal(res.text, 'Mock answer to: Check me');
    assert.ok(res.events.at(-1).usage.total_tokens > 0);
  });

  it('a repeat with the same Idempotency-Key replays the first answer as a stream, one provider call', async () => {
    const before = gw.mock.calls('mock-small');
    const h = { ...headers('chat'), 'idempotency-key': `stream-${Date.now()}` };
    const first = await streamChat(gw.url, hello('Once'), h);
    const second = await streamChat(gw.url, hello('Once'), h);
    assert.equal(second.text, first.text);
    assert.equal(second.done, true);
    assert.equal(gw.mock.calls('mock-small') - before, 1);
  });
});
