import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { createProviders, UpstreamError, type ChatProvider } from '../../src/providers';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import { createGeminiProvider } from '../../src/providers/gemini';
import type { ChatChunk } from '../../src/streaming/chunks';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Gemini adapter through the real `@google/genai` SDK, its base URL at a replay server on
 * 127.0.0.1 answering in the Gemini API's documented shapes (generateContent,
 * streamGenerateContent?alt=sse, batchEmbedContents, Google's error body).
 */
let api: ReplayServer;
let provider: ChatProvider;
before(async () => {
  api = await startReplayServer();
  const config = parseConfigObject({
    providers: { g: { kind: 'gemini', baseUrl: api.url, apiKeyEnv: 'G_KEY' } },
    models: { m: { provider: 'g', upstream: 'gemini-2.5-flash' } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
  provider = createProviders(config, { G_KEY: 'AIza-replay' }).get('g')!;
});
after(() => api.close());

const MODEL = 'gemini-2.5-flash';
const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const streamOpts = (onChunk: (c: ChatChunk) => void = () => {}) => ({ signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk });
const REQ = { model: 'm', messages: [{ role: 'user', content: 'weather in Paris?' }], metadata: { task: 'chat' } } as ChatCompletionRequest;
const PNG = 'iVBORw0KGgo=';
const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 7, thoughtsTokenCount: 3, cachedContentTokenCount: 4, totalTokenCount: 22 };
/** A documented GenerateContentResponse; `finishReason` null: a mid-stream response, which has none. */
const answer = (parts: object[], finishReason: string | null = 'STOP', extra: object = {}) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
  usageMetadata,
  modelVersion: MODEL,
  responseId: 'resp-1',
  ...extra,
});

/** A multi-turn request: system prompt, an image, an assistant tool call and its result, tools, options. */
const TURNS = {
  model: 'm',
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    { role: 'user', content: [{ type: 'text', text: 'What is this, and the weather there?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_0', content: '{"temp":21}' },
  ],
  tools: [{ type: 'function', function: { name: 'weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
  tool_choice: 'auto',
  max_tokens: 100,
  temperature: 0.2,
  stop: ['END'],
  metadata: { task: 'chat' },
} as unknown as ChatCompletionRequest;

describe('gemini adapter (real SDK, replayed Gemini API)', () => {
  it('posts to models/<model>:generateContent with x-goog-api-key; system, image, tool call and tool result mapped', async () => {
    api.reply({ json: answer([{ text: 'The Eiffel Tower; 21°C.' }]) });
    const out = await provider.complete(MODEL, TURNS, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, `/v1beta/models/${MODEL}:generateContent`);
    assert.equal(sent.headers['x-goog-api-key'], 'AIza-replay');
    assert.equal(sent.headers.authorization, undefined);
    assert.deepEqual(sent.body, {
      contents: [
        { role: 'user', parts: [{ text: 'What is this, and the weather there?' }, { inlineData: { mimeType: 'image/png', data: PNG } }] },
        { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { temp: 21 } } }] },
      ],
      systemInstruction: { parts: [{ text: 'Answer briefly.' }] },
      generationConfig: { maxOutputTokens: 100, temperature: 0.2, stopSequences: ['END'] },
      tools: [{ functionDeclarations: [{ name: 'weather', description: 'Weather by city', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    });
    assert.equal(out.choices[0]?.message.content, 'The Eiffel Tower; 21°C.');
    assert.equal(out.choices[0]?.finish_reason, 'stop');
    assert.equal(out.model, MODEL);
    assert.equal(out.id, 'resp-1');
  });

  it('a function call answer: tool_calls with a made-up stable id, finish tool_calls, usage with cached and thinking tokens', async () => {
    api.reply({ json: answer([{ functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-1' }, { functionCall: { name: 'weather', args: { city: 'Rome' } } }]) });
    const out = await provider.complete(MODEL, REQ, opts());
    const message = out.choices[0]!.message as { content: unknown; tool_calls?: unknown };
    assert.equal(message.content, null);
    assert.deepEqual(message.tool_calls, [
      { id: 'call_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'sig-1' } } },
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
    ]);
    assert.equal(out.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(out.usage, { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } });
  });

  it('streams text via :streamGenerateContent?alt=sse: chunks in order, role first, finish and usage on the last', async () => {
    api.reply({ events: [answer([{ text: 'Sunny' }], null, { usageMetadata: { promptTokenCount: 12 } }), answer([{ text: ', 21°C' }], 'STOP')] });
    const seen: ChatChunk[] = [];
    const out = await provider.stream!(MODEL, REQ, streamOpts((c) => seen.push(c)));
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`);
    assert.equal(sent.headers['x-goog-api-key'], 'AIza-replay');
    assert.deepEqual(seen.map((c) => c.choices[0]?.delta), [{ role: 'assistant', content: 'Sunny' }, { content: ', 21°C' }]);
    assert.equal(seen[0]?.object, 'chat.completion.chunk');
    assert.equal(seen[0]?.usage, undefined);
    assert.equal(out.choices[0]?.message.content, 'Sunny, 21°C');
    assert.equal(out.choices[0]?.finish_reason, 'stop');
    assert.equal(out.usage?.total_tokens, 22);
  });

  it('streams a function call: one tool-call delta, finish tool_calls, assembled', async () => {
    api.reply({ events: [answer([{ functionCall: { name: 'weather', args: { city: 'Paris' } } }], 'STOP')] });
    const seen: ChatChunk[] = [];
    const out = await provider.stream!(MODEL, REQ, streamOpts((c) => seen.push(c)));
    assert.deepEqual(seen[0]?.choices[0]?.delta?.tool_calls, [{ index: 0, id: 'call_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }]);
    assert.equal(out.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual((out.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [{ id: 'call_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }]);
  });

  it('a stream that ends without a finishReason is a connection failure, not an answer', async () => {
    api.reply({ events: [answer([{ text: 'Sun' }], null)] });
    const err = await provider.stream!(MODEL, REQ, streamOpts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError, String(err));
    assert.equal(err.kind, 'connection');
  });

  it('mid-stream: Google\'s error event is its http error; a chunk that is not JSON is malformed', async () => {
    api.reply({ events: [answer([{ text: 'Sun' }], null), { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } }] });
    const err = await provider.stream!(MODEL, REQ, streamOpts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError, String(err));
    assert.deepEqual([err.kind, err.status, err.providerCode, err.message], ['http', 500, 'internal', 'An internal error has occurred.']);
    api.reply({ events: ['{"candidates": [tru'] });
    const bad = await provider.stream!(MODEL, REQ, streamOpts()).catch((e: unknown) => e);
    assert.ok(bad instanceof UpstreamError, String(bad));
    assert.equal(bad.kind, 'malformed');
  });

  it('deadlines: a stream gone silent is cut at the idle deadline; one that finished but never closed is complete', async () => {
    const silent = await silentServer();
    try {
      const g = createGeminiProvider({ baseUrl: silent.url, apiKey: () => 'k' });
      const idle = { headersMs: 5000, firstTokenMs: 5000, idleMs: 200, totalMs: 5000 };
      silent.next = answer([{ text: 'Sun' }], null);
      const err = await g.stream!(MODEL, REQ, { ...streamOpts(), deadlines: idle }).catch((e: unknown) => e);
      assert.ok(err instanceof UpstreamError, String(err));
      assert.equal(err.kind, 'timeout');
      assert.equal(err.providerCode, 'deadline_idle');
      silent.next = answer([{ text: 'Sunny' }], 'STOP');
      const out = await g.stream!(MODEL, REQ, { ...streamOpts(), deadlines: idle });
      assert.equal(out.choices[0]?.message.content, 'Sunny');
      assert.equal(out.choices[0]?.finish_reason, 'stop');
    } finally {
      await silent.close();
    }
  });

  it('a non-streamed answer that never arrives is cut at the total deadline', async () => {
    const silent = await silentServer();
    try {
      const g = createGeminiProvider({ baseUrl: silent.url, apiKey: () => 'k' });
      const err = await g.complete(MODEL, REQ, { signal: new AbortController().signal, timeoutMs: 200 }).catch((e: unknown) => e);
      assert.ok(err instanceof UpstreamError, String(err));
      assert.deepEqual([err.kind, err.providerCode], ['timeout', 'deadline_total']);
    } finally {
      await silent.close();
    }
  });

  it('a rotated key is sent from the next call on (the SDK takes its key at construction: a new client)', async () => {
    let key = 'AIza-old';
    const g = createGeminiProvider({ baseUrl: api.url, apiKey: () => key });
    api.reply({ json: answer([{ text: 'a' }]) }, { json: answer([{ text: 'b' }]) });
    await g.complete(MODEL, REQ, opts());
    key = 'AIza-new';
    await g.complete(MODEL, REQ, opts());
    assert.deepEqual(api.seen.slice(-2).map((x) => x.headers['x-goog-api-key']), ['AIza-old', 'AIza-new']);
  });

  const failsWith = async (want: Partial<UpstreamError>, call: () => Promise<unknown> = () => provider.complete(MODEL, REQ, opts())) => {
    const err = await call().then(
      () => assert.fail('expected an upstream error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(err[k as keyof UpstreamError], v, k);
  };
  const googleError = (code: number, status: string, message: string, details?: object[]) => ({ error: { code, message, status, ...(details ? { details } : {}) } });

  it('a blocked prompt (promptFeedback, no candidates) is a content-filter 400', async () => {
    api.reply({ json: { promptFeedback: { blockReason: 'SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } } });
    await failsWith({ kind: 'http', status: 400, providerCode: 'content_filter' });
    api.reply({ events: [{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }] });
    await failsWith({ kind: 'http', status: 400, providerCode: 'content_filter' }, () => provider.stream!(MODEL, REQ, streamOpts()));
  });

  it('a safety finish is content_filter; MAX_TOKENS is length', async () => {
    api.reply({ json: { candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] }], usageMetadata } });
    const filtered = await provider.complete(MODEL, REQ, opts());
    assert.equal(filtered.choices[0]?.finish_reason, 'content_filter');
    assert.equal(filtered.choices[0]?.message.content, '');
    api.reply({ json: answer([{ text: 'Sunny and' }], 'MAX_TOKENS') });
    assert.equal((await provider.complete(MODEL, REQ, opts())).choices[0]?.finish_reason, 'length');
  });

  it('429 RESOURCE_EXHAUSTED with RetryInfo: a rate limit carrying the wait; the SDK does not retry it', async () => {
    const before = api.seen.length;
    api.reply({
      status: 429,
      json: googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' }] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' },
      ]),
    });
    await failsWith({ kind: 'http', status: 429, providerCode: 'resource_exhausted', retryAfterMs: 12000, message: 'You exceeded your current quota.' });
    assert.equal(api.seen.length, before + 1, 'one request: Temporal retries, not the SDK');
  });

  it('400 over the context window is context_length_exceeded; other 400s keep Google\'s message', async () => {
    api.reply({ status: 400, json: googleError(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).') });
    await failsWith({ kind: 'http', status: 400, providerCode: 'context_length_exceeded' });
    api.reply({ status: 400, json: googleError(400, 'INVALID_ARGUMENT', 'Invalid value at \'contents[0].parts[0]\'') });
    await failsWith({ kind: 'http', status: 400, providerCode: 'invalid_argument', message: "Invalid value at 'contents[0].parts[0]'" });
  });

  it('a bad key (Gemini answers 400 API_KEY_INVALID), 401 and 403 are auth errors', async () => {
    api.reply({ status: 400, json: googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]) });
    await failsWith({ kind: 'http', status: 401, providerCode: 'api_key_invalid' });
    api.reply({ status: 401, json: googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.') });
    await failsWith({ kind: 'http', status: 401, providerCode: 'unauthenticated' });
    api.reply({ status: 403, json: googleError(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers.') });
    await failsWith({ kind: 'http', status: 403, providerCode: 'permission_denied' });
  });

  it('500 and 503 are server errors; a 503 mid-stream too; a closed port is a connection error', async () => {
    api.reply({ status: 500, json: googleError(500, 'INTERNAL', 'An internal error has occurred.') });
    await failsWith({ kind: 'http', status: 500, providerCode: 'internal' });
    api.reply({ status: 503, json: googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.') });
    await failsWith({ kind: 'http', status: 503, providerCode: 'unavailable' }, () => provider.stream!(MODEL, REQ, streamOpts()));
    const down = createGeminiProvider({ baseUrl: 'http://127.0.0.1:1', apiKey: () => 'k' });
    await failsWith({ kind: 'connection' }, () => down.complete(MODEL, REQ, opts()));
  });

  it('no key configured: the provider\'s 401 before any request', async () => {
    const config = parseConfigObject({ providers: { g: { kind: 'gemini', apiKeyEnv: 'UNSET_KEY' } }, models: { m: { provider: 'g', upstream: MODEL } }, callers: {}, routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }] });
    const keyless = createProviders(config, {}).get('g')!;
    await failsWith({ kind: 'http', status: 401 }, () => keyless.complete(MODEL, REQ, opts()));
  });

  it('embeddings: one batchEmbedContents call, outputDimensionality from dimensions, usage estimated when Google gives none', async () => {
    api.reply({ json: { embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] } });
    const out = await provider.embed!('gemini-embedding-001', { model: 'e', input: ['hello world', 'good night moon'], dimensions: 2 }, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.equal(sent.headers['x-goog-api-key'], 'AIza-replay');
    assert.deepEqual(sent.body, {
      requests: [
        { model: 'models/gemini-embedding-001', content: { role: 'user', parts: [{ text: 'hello world' }] }, outputDimensionality: 2 },
        { model: 'models/gemini-embedding-001', content: { role: 'user', parts: [{ text: 'good night moon' }] }, outputDimensionality: 2 },
      ],
    });
    assert.deepEqual(out.data, [
      { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
      { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
    ]);
    assert.deepEqual(out.usage, { prompt_tokens: 5, total_tokens: 5, estimated: true }); // "hello world" 2 + "good night moon" 3 (o200k)
  });
});

/** A Gemini that sends one stream event (`next`) and then says nothing more, never closing. */
async function silentServer() {
  const state = { next: {} as object };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(state.next)}\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  });
}
