import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ask, failureConfig, recorded } from '../helpers/failures';
import { KEYS, auth, send, startTestGateway, type TestGateway } from '../helpers/gateway';
import { streamChat } from '../helpers/sse';
import { localActivityTypes } from '../helpers/history';

/**
 * Streams that break after the caller saw part of the answer: the next try (the same model while
 * retries remain, then fallbacks that accept a prefill) continues from exactly the delivered text,
 * so the caller gets one whole answer with one [DONE]. The mock continues an assistant prefill that
 * starts its answer; `reject-prefill` makes it refuse one as Anthropic does (`unsupported_prefill`).
 */
const quick = { headers: '1s', firstToken: '1s', idle: '400ms', total: '4s' };
const models: Record<string, { upstream: string; prefill: boolean }> = {
  cutter: { upstream: 'mock-cont-cutter', prefill: true }, // faults queued per test
  stalls: { upstream: 'mock-cont-stalls+stream-stall=2', prefill: true },
  broken: { upstream: 'mock-cont-broken+stream-cut=2', prefill: true },
  noprefill: { upstream: 'mock-cont-noprefill', prefill: false },
  refuser: { upstream: 'mock-cont-refuser+reject-prefill', prefill: true },
  helper: { upstream: 'mock-cont-helper', prefill: true },
};
const config = (mockUrl: string) => {
  const c = failureConfig(Object.fromEntries(Object.entries(models).map(([k, m]) => [k, m.upstream])), [
    { name: 'same', primary: 'cutter', retries: 1, deadlines: quick },
    { name: 'samelocal', primary: 'cutter', retries: 1, deadlines: quick, providerCall: 'local' },
    { name: 'twice', primary: 'cutter', retries: 2, deadlines: quick },
    { name: 'stall', primary: 'stalls', fallbacks: ['helper'], retries: 0, deadlines: quick },
    { name: 'skip', primary: 'broken', fallbacks: ['noprefill', 'helper'], retries: 0, deadlines: quick },
    { name: 'refused', primary: 'broken', fallbacks: ['refuser', 'helper'], retries: 0, deadlines: quick },
    { name: 'nobody', primary: 'broken', fallbacks: ['noprefill'], retries: 0, deadlines: quick },
    { name: 'off', primary: 'broken', fallbacks: ['helper'], retries: 0, deadlines: quick, continuation: false },
  ])(mockUrl) as { models: Record<string, Record<string, unknown>> };
  for (const [name, m] of Object.entries(models)) c.models[name]!.prefill = m.prefill;
  return c;
};

const LONG = { model: 'auto', messages: [{ role: 'user', content: 'tell me about the weather in the mountains today' }] };
const WHOLE = 'Mock answer to: tell me about the weather in the mountains today';

describe('continuation: a stream broken after delivery is finished by the next capable try', () => {
  let gw: TestGateway;
  const calls = (m: string) => gw.mock.calls(m);
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  /** One whole answer, one [DONE], no error event; the ledger and attempts show the break and the continuation. */
  const continued = async (seen: Awaited<ReturnType<typeof ask>>, tries: Array<[string, string | undefined]>) => {
    assert.equal(seen.status, 200, JSON.stringify(seen));
    assert.equal(seen.streamError, false, `no error event: ${seen.message}`);
    assert.equal(seen.done, true, 'one [DONE]');
    assert.equal(seen.text, WHOLE, 'the caller has one coherent answer: the delivered text and its continuation');
    const row = await recorded(gw, seen.requestId);
    assert.equal(row.status, 'completed');
    assert.deepEqual(row.attempts.map((a) => [a.model, a.error]), tries);
    assert.equal(row.attempts.at(-1)?.adapted, 'continuation');
    assert.ok((row.attempts[0] as { delivered?: { chunks: number } }).delivered!.chunks > 0, 'the break says how much the caller had');
    assert.equal(row.total_tokens, seen.usage?.total_tokens, 'the usage the caller got is the ledger\'s');
    return row;
  };

  it('cut mid-answer: the same model continues; usage adds both tries (the first estimated, and said so)', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-cut=2']);
    const seen = await ask(gw, 'same', 'stream', LONG);
    const row = await continued(seen, [['cutter', 'StreamInterrupted'], ['cutter', undefined]]);
    assert.equal(calls('mock-cont-cutter'), 2);
    // The mock bills ceil(chars/4) per prompt: two prompts were sent, so at least twice the one prompt.
    assert.ok(row.prompt_tokens! >= 2 * Math.ceil(LONG.messages[0]!.content.length / 4), `prompt tokens ${row.prompt_tokens}`);
    assert.ok(row.completion_tokens! >= Math.ceil(WHOLE.length / 4) - 2, `completion tokens ${row.completion_tokens}`);
    assert.match(row.warnings ?? '', /usage of the interrupted try is estimated/);
    const stored = await send(gw.url, `/v1/requests/${seen.requestId}`, undefined, auth(KEYS.support), 'GET');
    assert.equal(stored.json.result.choices[0].message.content, WHOLE, 'the stored answer is the whole answer');
  });

  it('on a route that calls locally, a break in the first try (made with admission) is continued by the next try', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-cut=2']);
    const seen = await ask(gw, 'samelocal', 'stream', LONG);
    await continued(seen, [['cutter', 'StreamInterrupted'], ['cutter', undefined]]);
    assert.deepEqual(await localActivityTypes(gw.client, seen.requestId), ['prepareRequest', 'callProvider'], 'the broken try ran in admission\'s step');
  });

  it('the OpenAI stream stays one message across the splice: one id, one model, one role, usage once at the end', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-cut=2']);
    const res = await streamChat(gw.url, { ...LONG, stream_options: { include_usage: true } }, { ...auth(KEYS.support), 'x-gatehouse-task': 'same' });
    assert.equal(res.done, true);
    assert.equal(res.text, WHOLE);
    assert.deepEqual([...new Set(res.events.map((e) => `${e.id} ${e.model}`))].length, 1, JSON.stringify(res.events.map((e) => [e.id, e.model])));
    assert.equal(res.events.filter((e) => e.choices?.[0]?.delta?.role).length, 1);
    const usages = res.events.filter((e) => e.usage);
    assert.equal(usages.length, 1);
    assert.equal(usages[0], res.events.at(-1));
  });

  it('stalled past the idle deadline mid-answer: the fallback continues', async () => {
    await continued(await ask(gw, 'stall', 'stream', LONG), [['stalls', 'StreamInterrupted'], ['helper', undefined]]);
  });

  it('connection reset mid-answer: the same model continues', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-reset=2']);
    await continued(await ask(gw, 'same', 'stream', LONG), [['cutter', 'StreamInterrupted'], ['cutter', undefined]]);
  });

  it('a provider error event mid-answer: the same model continues', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-error=2']);
    const seen = await ask(gw, 'same', 'stream', LONG);
    await continued(seen, [['cutter', 'StreamInterrupted'], ['cutter', undefined]]);
    assert.match((await recorded(gw, seen.requestId)).attempts[0]?.message ?? '', /overloaded/);
  });

  it('a fallback declared `prefill: false` is never asked; the next capable one continues', async () => {
    const before = calls('mock-cont-noprefill');
    await continued(await ask(gw, 'skip', 'stream', LONG), [['broken', 'StreamInterrupted'], ['helper', undefined]]);
    assert.equal(calls('mock-cont-noprefill'), before);
  });

  it('a fallback that refuses the prefill is passed over (not restarted without it), and the worker remembers', async () => {
    const seen = await ask(gw, 'refused', 'stream', LONG);
    await continued(seen, [['broken', 'StreamInterrupted'], ['refuser', 'UnsupportedRequestShape'], ['helper', undefined]]);
    const refusals = calls('mock-cont-refuser+reject-prefill');
    await continued(await ask(gw, 'refused', 'stream', LONG), [['broken', 'StreamInterrupted'], ['helper', undefined]]);
    assert.equal(calls('mock-cont-refuser+reject-prefill'), refusals, 'learned: not asked to continue again');
  });

  it('a continuation that breaks too is continued in turn: still one whole answer', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-cut=2', 'stream-cut=2']);
    const seen = await ask(gw, 'twice', 'stream', LONG);
    assert.equal(seen.streamError, false, seen.message);
    assert.equal(seen.text, WHOLE);
    const row = await recorded(gw, seen.requestId);
    assert.deepEqual(row.attempts.map((a) => [a.model, a.error, a.adapted]), [
      ['cutter', 'StreamInterrupted', undefined],
      ['cutter', 'StreamInterrupted', 'continuation'],
      ['cutter', undefined, 'continuation'],
    ]);
  });

  it('no model can continue: the error event of today, no [DONE]', async () => {
    const before = calls('mock-cont-noprefill');
    for (const task of ['nobody', 'off']) {
      const seen = await ask(gw, task, 'stream', LONG);
      assert.equal(seen.done, false, task);
      assert.equal(seen.code, 'stream_interrupted', task);
      assert.ok(seen.text && WHOLE.startsWith(seen.text) && seen.text !== WHOLE, `${task}: partial text "${seen.text}"`);
      const row = await recorded(gw, seen.requestId);
      assert.equal(row.error_code, 'stream_interrupted');
      assert.deepEqual(row.attempts.map((a) => a.error), ['StreamInterrupted'], task);
    }
    assert.equal(calls('mock-cont-noprefill'), before, 'a model that cannot continue is never asked to');
  });

  it('a stream that delivered part of a tool call is not continued: the error event of today', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-cut=1']);
    const before = calls('mock-cont-cutter');
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }];
    const seen = await ask(gw, 'same', 'stream', { ...LONG, tools });
    assert.equal(seen.done, false);
    assert.equal(seen.code, 'stream_interrupted');
    assert.deepEqual((await recorded(gw, seen.requestId)).attempts.map((a) => a.error), ['StreamInterrupted']);
    assert.equal(calls('mock-cont-cutter'), before + 1, 'not asked to continue');
  });

  it('/v1/messages: the Anthropic SDK gets one Message, one message_stop, the whole text', async () => {
    gw.mock.queueFaults('mock-cont-cutter', ['stream-cut=2']);
    const before = calls('mock-cont-cutter');
    const client = new Anthropic({ baseURL: gw.url, apiKey: KEYS.support, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'auto', max_tokens: 200, messages: LONG.messages as Anthropic.MessageParam[] }, { headers: { 'x-gatehouse-task': 'same' } });
    const order: string[] = [];
    stream.on('streamEvent', (e) => order.push(e.type));
    const final = await stream.finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: WHOLE, citations: null }]);
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(order.filter((t) => t === 'message_start').length, 1);
    assert.equal(order.filter((t) => t === 'message_stop').length, 1);
    assert.equal(order.filter((t) => t === 'content_block_start').length, 1, 'one text block');
    assert.equal(calls('mock-cont-cutter'), before + 2, 'cut, then continued');
  });
});
