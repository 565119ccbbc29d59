import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import {
  type Fault,
  type MockProvider,
  FaultSpecError,
  faultFromModelName,
  parseFaultSpec,
  selectFault,
  splitWords,
  startMockProvider,
} from '../../src/mock';

describe('fault spec parsing', () => {
  const cases: Array<[string, Fault]> = [
    ['', {}],
    ['none', {}],
    ['status=500', { status: 500 }],
    ['status=429,retry-after=2', { status: 429, retryAfterSec: 2 }],
    ['status=400:context_length_exceeded', { status: 400, errorCode: 'context_length_exceeded' }],
    ['status=400:content_policy_violation', { status: 400, errorCode: 'content_policy_violation' }],
    ['latency=300,status=500', { latencyMs: 300, status: 500 }],
    ['timeout', { timeout: true }],
    ['reset', { reset: true }],
    ['malformed', { malformed: true }],
    ['no-done', { noDone: true }],
    ['reject-prefill', { rejectPrefill: true }],
    ['first-token=50, chunk-delay=10', { firstTokenMs: 50, chunkDelayMs: 10 }],
    ['stream-cut=2', { streamCut: 2 }],
    ['stream-stall=1', { streamStall: 1 }],
    ['stream-reset=2', { streamReset: 2 }],
    ['stream-error=1', { streamError: 1 }],
    ['malformed-chunk=0', { malformedChunk: 0 }],
    ['garbage-stream', { garbageStream: true }],
    ['fail503', { status: 503 }],
  ];
  for (const [spec, expected] of cases) {
    test(`parses "${spec}"`, () => assert.deepEqual(parseFaultSpec(spec), expected));
  }

  const invalid = ['status=200', 'status=abc', 'status=600', 'latency=-1', 'latency', 'bogus', 'retry-after=2', 'status=400:Bad-Code'];
  for (const spec of invalid) {
    test(`rejects "${spec}"`, () => assert.throws(() => parseFaultSpec(spec), FaultSpecError));
  }

  test('model name faults', () => {
    assert.equal(faultFromModelName('mock-small'), undefined);
    assert.equal(faultFromModelName('gpt-4o-mini'), undefined);
    assert.deepEqual(faultFromModelName('mock-small+fail500'), { status: 500 });
    assert.deepEqual(faultFromModelName('mock-small+latency=5+stream-cut=2'), { latencyMs: 5, streamCut: 2 });
    assert.deepEqual(faultFromModelName('mock-500'), { status: 500 });
    assert.deepEqual(faultFromModelName('mock-timeout'), { timeout: true });
    assert.throws(() => faultFromModelName('mock-small+nope'), FaultSpecError);
  });

  test('source priority: queued > header > model name', () => {
    assert.deepEqual(selectFault({ queued: { status: 502 }, header: 'status=503', model: 'mock-500' }), { status: 502 });
    assert.deepEqual(selectFault({ header: 'status=503', model: 'mock-500' }), { status: 503 });
    assert.deepEqual(selectFault({ header: ' ', model: 'mock-500' }), { status: 500 });
    assert.deepEqual(selectFault({ queued: {}, model: 'mock-500' }), {});
  });

  test('word chunks re-join to the original text', () => {
    const text = ' Mock answer  to: hi there ';
    assert.ok(splitWords(text).length >= 4);
    assert.equal(splitWords(text).join(''), text);
  });
});

describe('mock provider server', () => {
  let mock: MockProvider;
  let client: OpenAI;
  const ask = (content: string) => [{ role: 'user' as const, content }];

  before(async () => {
    mock = await startMockProvider();
    client = new OpenAI({ baseURL: mock.url, apiKey: 'x', maxRetries: 0 });
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test('non-streaming completion through the openai client', async () => {
    const res = await client.chat.completions.create({ model: 'mock-small', messages: ask('What is 2+2?') });
    assert.match(res.id, /^chatcmpl-mock-/);
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, 'mock-small');
    assert.equal(res.choices[0]?.message.role, 'assistant');
    assert.equal(res.choices[0]?.message.content, 'Mock answer to: What is 2+2?');
    assert.equal(res.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(res.usage, { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 });
  });

  test('[[json]] marker yields a JSON answer', async () => {
    const res = await client.chat.completions.create({ model: 'mock-small', messages: ask('give json [[json]]') });
    assert.deepEqual(JSON.parse(res.choices[0]?.message.content ?? ''), { answer: 'mock', ok: true });
  });

  test('streaming completion collects chunks and usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-large',
      messages: ask('tell me a story'),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        contentChunks++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Mock answer to: tell me a story');
    assert.ok(contentChunks > 3);
    assert.equal(finish, 'stop');
    assert.equal(usage?.completion_tokens, 8);
  });

  test('with tools it calls the first (or the chosen) tool, required arguments filled; after the tool result it answers quoting it', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string' } }, required: ['city', 'days'] } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    ];
    const first = await client.chat.completions.create({ model: 'mock-small', messages: ask('Oslo'), tools });
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(first.choices[0]!.message.content, null);
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Oslo', days: 1 });
    const chosen = await client.chat.completions.create({ model: 'mock-small', messages: ask('now'), tools, tool_choice: { type: 'function', function: { name: 'get_time' } } });
    assert.equal((chosen.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.name, 'get_time');
    const none = await client.chat.completions.create({ model: 'mock-small', messages: ask('no tools'), tools, tool_choice: 'none' });
    assert.equal(none.choices[0]!.message.content, 'Mock answer to: no tools');

    const after = await client.chat.completions.create({
      model: 'mock-small',
      tools,
      messages: [...ask('Oslo'), first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '-3 C and snow' }],
    });
    assert.equal(after.choices[0]!.message.content, 'Mock answer to the tool result: -3 C and snow');
    assert.equal(after.choices[0]!.finish_reason, 'stop');

    // Streamed: the same call, assembled by the SDK's own helper from id/name and argument pieces.
    const streamed = await client.chat.completions.stream({ model: 'mock-small', messages: ask('Oslo'), tools }).finalChatCompletion();
    assert.deepEqual(streamed.choices[0]!.message.tool_calls, first.choices[0]!.message.tool_calls);
    assert.equal(streamed.choices[0]!.finish_reason, 'tool_calls');
  });

  test('status=500 via header', async () => {
    const err = await client.chat.completions
      .create({ model: 'mock-small', messages: ask('hi') }, { headers: { 'x-mock-fault': 'status=500' } })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.InternalServerError);
    assert.equal(err.status, 500);
  });

  test('status=500 via model name (suffix and whole name)', async () => {
    for (const model of ['mock-small+fail500', 'mock-500']) {
      const err = await client.chat.completions.create({ model, messages: ask('hi') }).catch((e: unknown) => e);
      assert.ok(err instanceof OpenAI.InternalServerError, model);
    }
    assert.equal(mock.calls('mock-small+fail500'), 1);
    assert.equal(mock.calls('mock-500'), 1);
  });

  test('400 with context_length_exceeded code', async () => {
    const err = await client.chat.completions
      .create({ model: 'mock-small+status=400:context_length_exceeded', messages: ask('hi') })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.code, 'context_length_exceeded');
  });

  test('429 carries Retry-After', async () => {
    const res = await fetch(`${mock.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'status=429,retry-after=2' },
      body: JSON.stringify({ model: 'mock-small', messages: ask('hi') }),
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    const body = (await res.json()) as { error: { type: string; code: string } };
    assert.equal(body.error.code, 'rate_limit_exceeded');
  });

  test('queued faults apply in order, then normal', async () => {
    mock.queueFaults('mock-small', ['status=503', 'status=429', 'none', 'status=500']);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.chat.completions.create({ model: 'mock-small', messages: ask('hi') }).then(
        () => 200,
        (e: unknown) => (e as { status: number }).status,
      );
      statuses.push(r);
    }
    assert.deepEqual(statuses, [503, 429, 200, 500, 200]);
    assert.equal(mock.calls('mock-small'), 5);
  });

  test('timeout fault is ended by the client timeout', async () => {
    const started = Date.now();
    const err = await client.chat.completions
      .create({ model: 'mock-timeout', messages: ask('hi') }, { timeout: 200 })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIConnectionTimeoutError);
    assert.ok(Date.now() - started < 2000);
  });

  test('reset fault surfaces as a connection error', async () => {
    const err = await client.chat.completions
      .create({ model: 'mock-small', messages: ask('hi') }, { headers: { 'x-mock-fault': 'reset' } })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIConnectionError);
  });

  test('reject-prefill only when the last message is from the assistant', async () => {
    const model = 'mock-small+reject-prefill';
    const ok = await client.chat.completions.create({ model, messages: ask('hi') });
    assert.equal(ok.choices[0]?.finish_reason, 'stop');
    const err = await client.chat.completions
      .create({ model, messages: [...ask('hi'), { role: 'assistant', content: 'Sure' }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.code, 'unsupported_prefill');
  });

  test('stream-cut errors the openai stream iteration', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-small+stream-cut=2',
      messages: ask('one two three four five'),
      stream: true,
    });
    let received = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    });
    assert.equal(received, 'Mock answer ');
  });

  test('raw SSE: malformed-chunk, no-done, first-token delay', async () => {
    const started = Date.now();
    const res = await fetch(`${mock.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'malformed-chunk=1,no-done,first-token=100' },
      body: JSON.stringify({ model: 'mock-small', messages: ask('hi'), stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.ok(Date.now() - started >= 90);
    const bad = events.filter((e) => e.startsWith('data: {"id": "chatcmpl-broken"'));
    assert.equal(bad.length, 1);
    assert.equal(events.indexOf(bad[0] ?? ''), 2); // after role chunk + 1 content chunk
    assert.ok(!events.includes('data: [DONE]'));
    assert.match(events.at(-1) ?? '', /"choices":\[\],"usage":\{"prompt_tokens"/);
  });

  test('raw SSE: garbage-stream sends only unparseable chunks, then [DONE]', async () => {
    const res = await fetch(`${mock.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'garbage-stream' },
      body: JSON.stringify({ model: 'mock-small', messages: ask('hi'), stream: true }),
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    assert.ok(events.length > 3);
    for (const e of events.slice(0, -1)) assert.throws(() => JSON.parse(e.slice('data: '.length)), SyntaxError);
  });

  test('malformed body and bad requests', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${mock.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const broken = await post(JSON.stringify({ model: 'mock-small', messages: ask('hi') }), { 'x-mock-fault': 'malformed' });
    assert.equal(broken.status, 200);
    await assert.rejects(broken.json());
    assert.equal((await post('{not json')).status, 400);
    assert.equal((await post(JSON.stringify({ messages: ask('hi') }))).status, 400);
    assert.equal((await post(JSON.stringify({ model: 'mock-small' }))).status, 400);
    assert.equal((await post('{}', { 'x-mock-fault': 'bogus' })).status, 400);
    const missing = await fetch(`${mock.url}/nope`);
    assert.equal(missing.status, 404);
    assert.ok(((await missing.json()) as { error?: unknown }).error);
  });

  test('calls(), stats, models and control endpoints', async () => {
    await client.chat.completions.create({ model: 'mock-small', messages: ask('a') });
    await client.chat.completions.create({ model: 'mock-large', messages: ask('b') });
    await client.chat.completions.create({ model: 'mock-large', messages: ask('c') });
    assert.equal(mock.calls(), 3);
    assert.equal(mock.calls('mock-large'), 2);
    assert.equal(mock.calls('mock-unknown'), 0);

    const base = mock.url.replace(/\/v1$/, '');
    assert.deepEqual(await (await fetch(`${base}/_mock/stats`)).json(), {
      calls: { 'mock-small': 1, 'mock-large': 2 },
      total: 3,
    });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['mock-small', 'mock-large']);

    const queued = await fetch(`${base}/_mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ model: 'mock-small', faults: ['status=502'] }),
    });
    assert.equal(queued.status, 200);
    const err = await client.chat.completions.create({ model: 'mock-small', messages: ask('x') }).catch((e: unknown) => e);
    assert.equal((err as { status?: number }).status, 502);

    await fetch(`${base}/_mock/reset`, { method: 'POST' });
    assert.equal(mock.calls(), 0);
  });
});

test('close() terminates hanging requests promptly', async () => {
  const mock = await startMockProvider();
  try {
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'x', maxRetries: 0, timeout: 60_000 });
    const hanging = client.chat.completions
      .create({ model: 'mock-small', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-mock-fault': 'timeout' } })
      .catch((e: unknown) => e);
    const stalled = client.chat.completions
      .create({ model: 'mock-small+stream-stall=1', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .then(async (s) => {
        for await (const _ of s) void _;
      })
      .catch((e: unknown) => e);
    while (mock.calls() < 2) await new Promise((r) => setTimeout(r, 10));

    const started = Date.now();
    await mock.close();
    assert.ok((await hanging) instanceof OpenAI.APIConnectionError);
    assert.ok((await stalled) instanceof Error);
    assert.ok(Date.now() - started < 1000, 'close took too long');
  } finally {
    await mock.close();
  }
});
