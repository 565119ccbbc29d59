import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../../src/config/api';
import { createProviders, UpstreamError, type ChatProvider } from '../../src/providers';
import { parseConfigObject } from '../../src/config';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The OpenAI adapter through its real SDK, against OpenAI's documented response shapes replayed on
 * 127.0.0.1: the template every native adapter's test follows (its kind from the registry, its SDK
 * pointed at the replay server, each documented success, stream and error shape).
 */
let api: ReplayServer;
let provider: ChatProvider;
before(async () => {
  api = await startReplayServer();
  const config = parseConfigObject({
    providers: { up: { kind: 'openai', baseUrl: `${api.url}/v1`, apiKeyEnv: 'UP_KEY' } },
    models: { m: { provider: 'up', upstream: 'gpt-4o-mini' } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
  provider = createProviders(config, { UP_KEY: 'sk-replay' }).get('up')!;
});
after(() => api.close());

const REQ: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'weather in Paris?' }], metadata: { task: 'chat' } } as ChatCompletionRequest;
const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
const toolCall = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } };

describe('openai adapter (real SDK, replayed API)', () => {
  it('sends the upstream model with the key as Bearer, without gateway fields; returns the tool call and usage', async () => {
    api.reply({ json: { id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall] }, finish_reason: 'tool_calls' }], usage } });
    const answer = await provider.complete('gpt-4o-mini', REQ, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers.authorization, 'Bearer sk-replay');
    assert.deepEqual(sent.body, { model: 'gpt-4o-mini', messages: REQ.messages });
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual((answer.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [toolCall]);
    assert.deepEqual(answer.usage, usage);
  });

  it('streams: every chunk to onChunk in order, usage asked for, the answer assembled, [DONE] ends it', async () => {
    const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({ id: 's1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
    api.reply({ events: [{ frame: ': keep-alive\n\n' }, chunk({ role: 'assistant', content: '' }), chunk({ content: 'Sunny' }), chunk({ content: ', 21°C' }), chunk({}, 'stop'), { id: 's1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage }, '[DONE]'] });
    const seen: ChatChunk[] = [];
    const answer = await provider.stream!('gpt-4o-mini', REQ, { signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk: (c) => seen.push(c) });
    assert.deepEqual((api.seen.at(-1)!.body as { stream_options?: unknown; stream?: unknown }).stream_options, { include_usage: true });
    assert.equal(seen.length, 5);
    assert.equal(answer.choices[0]?.message.content, 'Sunny, 21°C');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(answer.usage, usage);
  });

  const failsWith = async (want: Partial<UpstreamError>) => {
    const err = await provider.complete('gpt-4o-mini', REQ, opts()).then(
      () => assert.fail('expected an upstream error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(err[k as keyof UpstreamError], v, k);
  };
  const openAIError = (message: string, type: string, code: string | null) => ({ error: { message, type, param: null, code } });

  it('429 with Retry-After: an http error carrying the wait', async () => {
    api.reply({ status: 429, headers: { 'retry-after': '2' }, json: openAIError('Rate limit reached', 'requests', 'rate_limit_exceeded') });
    await failsWith({ kind: 'http', status: 429, providerCode: 'rate_limit_exceeded', retryAfterMs: 2000, message: 'Rate limit reached' });
  });

  it('context too long, bad key, server error: the provider status, code and message', async () => {
    api.reply({ status: 400, json: openAIError("This model's maximum context length is 128000 tokens", 'invalid_request_error', 'context_length_exceeded') });
    await failsWith({ kind: 'http', status: 400, providerCode: 'context_length_exceeded' });
    api.reply({ status: 401, json: openAIError('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key') });
    await failsWith({ kind: 'http', status: 401, providerCode: 'invalid_api_key', message: 'Incorrect API key provided' });
    api.reply({ status: 500, json: openAIError('The server had an error', 'server_error', null) });
    await failsWith({ kind: 'http', status: 500 });
  });

  it('a body that is not a chat completion is malformed, never passed on', async () => {
    api.reply({ json: { hello: 'world' } });
    await failsWith({ kind: 'malformed' });
  });

  it('embeddings: floats asked for whatever the caller wants, dimensions and user passed, no gateway fields; vectors in input order', async () => {
    const req = { model: 'emb', input: ['a', 'b'], encoding_format: 'base64', dimensions: 2, user: 'u-1', metadata: { task: 'search' } } as EmbeddingsRequest;
    const data = [{ object: 'embedding', index: 1, embedding: [0.3, 0.4] }, { object: 'embedding', index: 0, embedding: [0.1, 0.2] }];
    api.reply({ json: { object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 2, total_tokens: 2 } } });
    const out = await provider.embed!('text-embedding-3-small', req, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/v1/embeddings');
    assert.equal(sent.headers.authorization, 'Bearer sk-replay');
    assert.deepEqual(sent.body, { model: 'text-embedding-3-small', input: ['a', 'b'], encoding_format: 'float', dimensions: 2, user: 'u-1' });
    assert.deepEqual(out.data.map((d) => d.embedding), [[0.1, 0.2], [0.3, 0.4]]);
    assert.deepEqual(out.usage, { prompt_tokens: 2, total_tokens: 2 });
  });

  it('embeddings: provider errors map like chat\'s; a list that is not one vector per input is malformed', async () => {
    const req = { model: 'emb', input: 'a' } as EmbeddingsRequest;
    const embedFails = async (want: Partial<UpstreamError>) => {
      const err = await provider.embed!('text-embedding-3-small', req, opts()).catch((e: unknown) => e);
      assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(err[k as keyof UpstreamError], v, k);
    };
    api.reply({ status: 429, headers: { 'retry-after-ms': '1500' }, json: openAIError('Rate limit reached', 'requests', 'rate_limit_exceeded') });
    await embedFails({ kind: 'http', status: 429, retryAfterMs: 1500, providerCode: 'rate_limit_exceeded' });
    api.reply({ status: 400, json: openAIError("This model's maximum context length is 8192 tokens", 'invalid_request_error', null) });
    await embedFails({ kind: 'http', status: 400, message: "This model's maximum context length is 8192 tokens" });
    api.reply({ json: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }, { object: 'embedding', index: 1, embedding: [0.2] }], model: 'x', usage: { prompt_tokens: 1, total_tokens: 1 } } });
    await embedFails({ kind: 'malformed', message: 'provider returned 2 embeddings for 1 inputs' });
    api.reply({ json: { data: [{ index: 0, embedding: 'AAAA' }], model: 'x', usage: { prompt_tokens: 1, total_tokens: 1 } } });
    await embedFails({ kind: 'malformed', message: 'provider answer is not an embeddings list' });
  });

  it('an error event mid-stream is the provider\'s error, with its code', async () => {
    api.reply({ events: [{ error: { message: 'The server had an error while processing your request', type: 'server_error', code: 'server_error' } }] });
    const err = await provider.stream!('gpt-4o-mini', REQ, { signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk: () => {} }).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.kind, 'http');
    assert.equal(err.providerCode, 'server_error');
  });
});

describe('a malformed chunk in a stream (skipped as the route allows, never passed on)', () => {
  const chunk = (delta: object, finish: string | null = null) => ({ id: 's2', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] });
  const junk = { frame: 'data: {"id": "broken", "choices": [\n\n' };
  const notAChunk = { object: 'something.else' };
  /** Streams the replayed events; `skip` is the route's answer to each malformed chunk. */
  const streamWith = async (skip: ((reason: string) => boolean) | undefined, ...events: unknown[]) => {
    api.reply({ events: [...events, '[DONE]'] });
    const seen: ChatChunk[] = [];
    const result = await provider.stream!('gpt-4o-mini', REQ, { signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk: (c) => seen.push(c), skipMalformed: skip }).catch((e: unknown) => e);
    return { result, seen };
  };

  it('skipped when the route allows: the answer is whole, only valid chunks reach the caller, each skip is reported', async () => {
    const reasons: string[] = [];
    const { result, seen } = await streamWith((r) => (reasons.push(r), true), chunk({ role: 'assistant', content: '' }), chunk({ content: 'Sun' }), junk, chunk({ content: 'ny' }), notAChunk, chunk({}, 'stop'));
    assert.ok(!(result instanceof Error), String(result));
    assert.equal((result as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'Sunny');
    assert.equal(seen.length, 4);
    assert.equal(reasons.length, 2);
    assert.match(reasons[0]!, /malformed stream chunk after 2 chunks/);
  });

  it('fails the try as malformed when the route says no (strict), or when nothing asks (as before)', async () => {
    for (const skip of [() => false, undefined]) {
      const { result, seen } = await streamWith(skip, chunk({ role: 'assistant', content: '' }), junk, chunk({}, 'stop'));
      assert.ok(result instanceof UpstreamError && result.kind === 'malformed', String(result));
      assert.equal(seen.length, 1);
    }
  });

  it('a stream of garbage only fails as malformed even when skipping is allowed (no empty answer)', async () => {
    const { result, seen } = await streamWith(() => true, junk, junk);
    assert.ok(result instanceof UpstreamError && result.kind === 'malformed', String(result));
    assert.match(result.message, /only malformed stream chunks \(2\)/);
    assert.equal(seen.length, 0);
  });
});

describe('fields the OpenAI API refuses (carried in from /v1/messages)', () => {
  it('top_k, thinking and cache_control hints are left out of the request and reported, never sent', async () => {
    const req = {
      ...REQ,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'weather in Paris?', cache_control: { type: 'ephemeral' } }] }],
    } as unknown as ChatCompletionRequest;
    api.reply({ json: { id: 'c2', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny' }, finish_reason: 'stop' }], usage } });
    await provider.complete('gpt-4o-mini', req, opts());
    const sent = api.seen.at(-1)!.body as Record<string, unknown>;
    assert.equal(sent.top_k, undefined);
    assert.equal(sent.thinking, undefined);
    assert.deepEqual(sent.messages, [{ role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] }]);
    const said = provider.unsupported!(req);
    assert.equal(said.length, 3);
    assert.ok(['top_k', 'thinking', 'cache_control'].every((f) => said.some((w) => w.startsWith(`${f}:`))), said.join(' | '));
    assert.deepEqual(provider.unsupported!(REQ), []);
  });
});
