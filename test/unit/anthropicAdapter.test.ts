import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { createProviders, UpstreamError, type ChatProvider } from '../../src/providers';
import { deadlinesFromTimeout, type Deadlines } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Anthropic adapter through the real @anthropic-ai/sdk, against Anthropic's documented Messages
 * API shapes replayed on 127.0.0.1: request mapping as sent on the wire, answers, cache usage, the
 * SSE event sequence, and every error shape (HTTP and mid-stream).
 */
let api: ReplayServer;
let provider: ChatProvider;
let newer: ChatProvider;
before(async () => {
  api = await startReplayServer();
  const config = parseConfigObject({
    providers: {
      claude: { kind: 'anthropic', baseUrl: api.url, apiKeyEnv: 'ANTHROPIC_KEY' },
      claude2026: { kind: 'anthropic', baseUrl: api.url, apiKeyEnv: 'ANTHROPIC_KEY', version: '2026-10-21' },
    },
    models: { m: { provider: 'claude', upstream: 'claude-sonnet-4-6' } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
  const providers = createProviders(config, { ANTHROPIC_KEY: 'sk-ant-replay' });
  provider = providers.get('claude')!;
  newer = providers.get('claude2026')!;
});
after(() => api.close());

const MODEL = 'claude-sonnet-4-6';
const REQ = { model: 'm', messages: [{ role: 'user', content: 'weather in Paris?' }], metadata: { task: 'chat' } } as ChatCompletionRequest;
const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const streamOpts = (onChunk: (c: ChatChunk) => void = () => {}, deadlines: Deadlines = deadlinesFromTimeout(5000)) => ({ signal: new AbortController().signal, deadlines, onChunk });
const usage = { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 30 };
const message = (content: unknown[], stop_reason: string, u: object = usage) => ({
  id: 'msg_01', type: 'message', role: 'assistant', model: MODEL, content, stop_reason, stop_sequence: null, usage: u,
});
/** One SSE frame as Anthropic sends it: a named event and its JSON. */
const ev = (data: { type: string } & Record<string, unknown>) => ({ frame: `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n` });
const anthropicError = (type: string, msg: string) => ({ type: 'error', error: { type, message: msg }, request_id: 'req_011' });

describe('anthropic adapter (real SDK, replayed API)', () => {
  it('sends x-api-key and anthropic-version to /v1/messages, with system, merged turns, images, tool use and tool results mapped', async () => {
    api.reply({ json: message([{ type: 'text', text: 'Sunny.' }], 'end_turn') });
    const req = {
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }, { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '21°C' },
        { role: 'user', content: 'and tomorrow?' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'required',
      max_tokens: 300,
      stop: 'END',
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-42',
      metadata: { task: 'chat' },
    } as ChatCompletionRequest;
    await provider.complete(MODEL, req, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.headers['x-api-key'], 'sk-ant-replay');
    assert.equal(sent.headers.authorization, undefined);
    assert.equal(sent.headers['anthropic-version'], '2023-06-01');
    assert.deepEqual(sent.body, {
      model: MODEL,
      max_tokens: 300,
      system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Use metric units.' }],
      messages: [
        { role: 'user', content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21°C' }, { type: 'text', text: 'and tomorrow?' }] },
      ],
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      tools: [{ name: 'weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      tool_choice: { type: 'any' },
      metadata: { user_id: 'u-42' },
    });
  });

  it('a tool_use answer is an OpenAI tool call (arguments as a JSON string); cache reads and writes count as prompt tokens', async () => {
    api.reply({ json: message([{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_2', name: 'weather', input: { city: 'Paris' } }], 'tool_use') });
    const answer = await provider.complete(MODEL, REQ, opts());
    assert.equal(answer.id, 'msg_01');
    assert.equal(answer.model, MODEL);
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(answer.choices[0]?.message.content, 'Let me check.');
    assert.deepEqual((answer.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [{ id: 'toolu_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }]);
    assert.deepEqual(answer.usage, { prompt_tokens: 150, completion_tokens: 7, total_tokens: 157, prompt_tokens_details: { cached_tokens: 100 }, cache_creation_input_tokens: 30 });
  });

  it('no max_tokens from the caller: the documented default 4096 is sent (Anthropic requires one)', async () => {
    api.reply({ json: message([{ type: 'text', text: 'ok' }], 'max_tokens', { input_tokens: 3, output_tokens: 4096 }) });
    const answer = await provider.complete(MODEL, REQ, opts());
    assert.equal((api.seen.at(-1)!.body as { max_tokens?: number }).max_tokens, 4096);
    assert.equal(answer.choices[0]?.finish_reason, 'length');
    assert.deepEqual(answer.usage, { prompt_tokens: 3, completion_tokens: 4096, total_tokens: 4099, prompt_tokens_details: { cached_tokens: 0 }, cache_creation_input_tokens: 0 });
  });

  it('API version 2026-10-21 (configured): that header, and no temperature / top_p / top_k sent, each reported', async () => {
    api.reply({ json: message([{ type: 'text', text: 'ok' }], 'end_turn') });
    const req = { ...REQ, temperature: 0.3, top_p: 0.5, top_k: 40 } as ChatCompletionRequest;
    await newer.complete(MODEL, req, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.headers['anthropic-version'], '2026-10-21');
    const body = sent.body as Record<string, unknown>;
    assert.deepEqual([body.temperature, body.top_p, body.top_k], [undefined, undefined, undefined]);
    assert.deepEqual(newer.unsupported!(req), [
      'temperature: removed in Anthropic API version 2026-10-21, not sent',
      'top_p: removed in Anthropic API version 2026-10-21, not sent',
      'top_k: removed in Anthropic API version 2026-10-21, not sent',
    ]);
  });

  it('a body that is not an Anthropic message is malformed, never passed on', async () => {
    api.reply({ json: { hello: 'world' } });
    await failsWith(provider.complete(MODEL, REQ, opts()), { kind: 'malformed' });
  });
});

describe('anthropic adapter: streaming', () => {
  const start = ev({ type: 'message_start', message: { ...message([], null as never, { input_tokens: 20, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 }), stop_reason: null } });
  const end = (stop: string, output = 9) => [ev({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: output } }), ev({ type: 'message_stop' })];

  it('text: a role chunk, content deltas, the finish chunk and a usage chunk; pings ignored; the answer assembled', async () => {
    api.reply({ events: [
      start,
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      ev({ type: 'ping' }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sunny' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ', 21°C' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ...end('end_turn'),
    ] });
    const seen: ChatChunk[] = [];
    const answer = await provider.stream!(MODEL, REQ, streamOpts((c) => seen.push(c)));
    assert.equal((api.seen.at(-1)!.body as { stream?: unknown }).stream, true);
    assert.deepEqual(seen.map((c) => c.choices[0]?.delta ?? 'usage'), [{ role: 'assistant', content: '' }, { content: 'Sunny' }, { content: ', 21°C' }, {}, 'usage']);
    assert.equal(seen[3]?.choices[0]?.finish_reason, 'stop');
    assert.ok(seen.every((c) => c.object === 'chat.completion.chunk' && c.id === 'msg_01'));
    assert.equal(answer.choices[0]?.message.content, 'Sunny, 21°C');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(answer.usage, { prompt_tokens: 120, completion_tokens: 9, total_tokens: 129, prompt_tokens_details: { cached_tokens: 100 }, cache_creation_input_tokens: 0 });
  });

  it('a tool call: index, id and name first, then argument fragments; finish_reason tool_calls', async () => {
    api.reply({ events: [
      start,
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_9', name: 'weather', input: {} } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ris"}' } }),
      ev({ type: 'content_block_stop', index: 1 }),
      ...end('tool_use', 40),
    ] });
    const seen: ChatChunk[] = [];
    const answer = await provider.stream!(MODEL, REQ, streamOpts((c) => seen.push(c)));
    const toolDeltas = seen.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.deepEqual(toolDeltas, [
      { index: 0, id: 'toolu_9', type: 'function', function: { name: 'weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city": "Pa' } },
      { index: 0, function: { arguments: 'ris"}' } },
    ]);
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(answer.choices[0]?.message.content, 'Checking.');
    assert.deepEqual((answer.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [{ id: 'toolu_9', type: 'function', function: { name: 'weather', arguments: '{"city": "Paris"}' } }]);
  });

  it('an error event mid-stream (overloaded) is the provider\'s 529, after the chunks already sent', async () => {
    api.reply({ events: [start, ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sun' } }), { frame: `event: error\ndata: ${JSON.stringify(anthropicError('overloaded_error', 'Overloaded'))}\n\n` }] });
    const seen: ChatChunk[] = [];
    await failsWith(provider.stream!(MODEL, REQ, streamOpts((c) => seen.push(c))), { kind: 'http', status: 529, providerCode: 'overloaded_error', message: 'Overloaded' });
    assert.equal(seen.length, 2);
  });

  it('a stream that ends mid-answer (no message_delta, no message_stop) is a connection fault', async () => {
    api.reply({ events: [start, ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sun' } })] });
    await failsWith(provider.stream!(MODEL, REQ, streamOpts()), { kind: 'connection' });
  });

  it('a stream that said everything (message_delta) but ended without message_stop is complete', async () => {
    api.reply({ events: [start, ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Done' } }), end('end_turn')[0]!] });
    const answer = await provider.stream!(MODEL, REQ, streamOpts());
    assert.equal(answer.choices[0]?.message.content, 'Done');
    assert.equal(answer.usage?.completion_tokens, 9);
  });

  it('an HTTP error before the stream starts is mapped like a non-streamed one', async () => {
    api.reply({ status: 429, headers: { 'retry-after': '3' }, json: anthropicError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit') });
    await failsWith(provider.stream!(MODEL, REQ, streamOpts()), { kind: 'http', status: 429, retryAfterMs: 3000, providerCode: 'rate_limit_error' });
  });
});

describe('anthropic adapter: errors', () => {
  const cases: Array<[string, number, object, Partial<UpstreamError>, Record<string, string>?]> = [
    ['overloaded 529', 529, anthropicError('overloaded_error', 'Overloaded'), { status: 529, providerCode: 'overloaded_error', message: 'Overloaded' }],
    ['rate limit 429 with retry-after', 429, anthropicError('rate_limit_error', 'Rate limited'), { status: 429, providerCode: 'rate_limit_error', retryAfterMs: 20000 }, { 'retry-after': '20' }],
    ['bad key 401', 401, anthropicError('authentication_error', 'invalid x-api-key'), { status: 401, providerCode: 'authentication_error', message: 'invalid x-api-key' }],
    ['no permission 403', 403, anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.'), { status: 403, providerCode: 'permission_error' }],
    ['prompt too long 400', 400, anthropicError('invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'), { status: 400, providerCode: 'context_length_exceeded' }],
    ['request too large 413', 413, anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.'), { status: 413, providerCode: 'context_length_exceeded' }],
    ['prefill refused 400', 400, anthropicError('invalid_request_error', 'This model does not support assistant message prefill. The conversation must end with a user message.'), { status: 400, providerCode: 'unsupported_prefill' }],
    ['other bad request 400', 400, anthropicError('invalid_request_error', 'messages: text content blocks must be non-empty'), { status: 400, providerCode: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' }],
    ['server error 500', 500, anthropicError('api_error', 'Internal server error'), { status: 500, providerCode: 'api_error' }],
  ];
  for (const [name, status, body, want, headers] of cases) {
    it(`${name}: an http UpstreamError with Anthropic's status, code and message`, async () => {
      api.reply({ status, json: body, ...(headers ? { headers } : {}) });
      await failsWith(provider.complete(MODEL, REQ, opts()), { kind: 'http', ...want });
    });
  }

  it('nothing listening: a connection error; no key configured: the provider\'s 401', async () => {
    const closed = createProviders(configFor('http://127.0.0.1:9'), { ANTHROPIC_KEY: 'k' }).get('claude')!;
    await failsWith(closed.complete(MODEL, REQ, opts()), { kind: 'connection' });
    const keyless = createProviders(configFor(api.url), {}).get('claude')!;
    await failsWith(keyless.complete(MODEL, REQ, opts()), { kind: 'http', status: 401 });
  });

  it('apiKeyFile: the key is read at each call, so a rotated file is used from the next call on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-anthropic-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, 'sk-ant-first\n');
      const config = parseConfigObject({ ...configFor(api.url), providers: { claude: { kind: 'anthropic', baseUrl: api.url, apiKeyFile: file } } });
      const p = createProviders(config, {}).get('claude')!;
      api.reply({ json: message([{ type: 'text', text: 'a' }], 'end_turn') }, { json: message([{ type: 'text', text: 'b' }], 'end_turn') });
      await p.complete(MODEL, REQ, opts());
      writeFileSync(`${file}.new`, 'sk-ant-second');
      renameSync(`${file}.new`, file);
      await p.complete(MODEL, REQ, opts());
      assert.deepEqual(api.seen.slice(-2).map((r) => r.headers['x-api-key']), ['sk-ant-first', 'sk-ant-second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deadlines: a silent server is a timeout; a stream that stalls after its first event is cut by the idle deadline', async () => {
    const stall = await startStallServer();
    try {
      const p = createProviders(configFor(stall.url), { ANTHROPIC_KEY: 'k' }).get('claude')!;
      await failsWith(p.complete(MODEL, REQ, { signal: new AbortController().signal, timeoutMs: 300 }), { kind: 'timeout' });
      const idle = { headersMs: 2000, firstTokenMs: 2000, idleMs: 300, totalMs: 5000 };
      const seen: ChatChunk[] = [];
      await failsWith(p.stream!(MODEL, REQ, streamOpts((c) => seen.push(c), idle)), { kind: 'timeout', providerCode: 'deadline_idle' });
      assert.equal(seen.length, 1); // the role chunk of message_start
    } finally {
      await stall.close();
    }
  });

  it('the caller\'s own abort mid-stream is passed through, not turned into a provider fault', async () => {
    const stall = await startStallServer();
    try {
      const p = createProviders(configFor(stall.url), { ANTHROPIC_KEY: 'k' }).get('claude')!;
      const ac = new AbortController();
      const reason = new Error('caller went away');
      const err = await p.stream!(MODEL, REQ, { signal: ac.signal, deadlines: deadlinesFromTimeout(5000), onChunk: () => ac.abort(reason) }).catch((e: unknown) => e);
      assert.equal(err, reason);
    } finally {
      await stall.close();
    }
  });
});

function configFor(baseUrl: string) {
  return parseConfigObject({
    providers: { claude: { kind: 'anthropic', baseUrl, apiKeyEnv: 'ANTHROPIC_KEY' } },
    models: { m: { provider: 'claude', upstream: MODEL } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
}

async function failsWith(p: Promise<unknown>, want: Partial<UpstreamError>): Promise<void> {
  const err = await p.then(
    () => assert.fail('expected an upstream error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
  for (const [k, v] of Object.entries(want)) assert.deepEqual(err[k as keyof UpstreamError], v, k);
}

/** Answers a non-streamed call never; a streamed one with message_start, then silence. */
async function startStallServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (!text.includes('"stream":true')) return; // silent
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: message([], null as never, { input_tokens: 1, output_tokens: 1 }) })}\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
