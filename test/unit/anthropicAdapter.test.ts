import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { createProviders, type ChatProvider } from '../../src/providers';
import type { ChatChunk } from '../../src/streaming/chunks';
import { anthropicError, ev, failsWith, message, MODEL, opts, REQ, streamOpts } from '../helpers/anthropic';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Anthropic adapter through the real @anthropic-ai/sdk, against Anthropic's documented Messages
 * API shapes replayed on 127.0.0.1: request mapping as sent on the wire, answers, cache usage, the
 * SSE event sequence and its mid-stream failures (HTTP errors: anthropicErrors.test.ts).
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
