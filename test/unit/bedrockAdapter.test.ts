import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { createProviders, UpstreamError, type ChatProvider } from '../../src/providers';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';
import { EVENT_STREAM, KEYS, MODEL, assertSigned, awsError, bedrockConfig, event, exception } from '../helpers/bedrock';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Bedrock adapter through the real AWS SDK, against Bedrock's documented Converse and
 * ConverseStream (AWS event-stream binary framing) shapes replayed on 127.0.0.1. The SDK signs every
 * request with SigV4 for real; the test re-computes the signature from what the server received.
 */
let api: ReplayServer;
let provider: ChatProvider;
before(async () => {
  api = await startReplayServer({ http2: true }); // the Bedrock runtime client speaks HTTP/2 only
  provider = createProviders(bedrockConfig({ endpoint: api.url }), KEYS).get('aws')!;
});
after(() => api.close());

const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const streamOpts = (onChunk: (c: ChatChunk) => void = () => {}) => ({ signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk });
const PNG = Buffer.from('89504e470d0a1a0a', 'hex');
const REQ = {
  model: 'm',
  metadata: { task: 'chat' },
  max_tokens: 300,
  temperature: 0.2,
  stop: ['END'],
  tools: [{ type: 'function', function: { name: 'weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  tool_choice: 'auto',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'What is on this map?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'tooluse_1', content: '21°C, sunny' },
  ],
} as unknown as ChatCompletionRequest;


describe('bedrock adapter (real AWS SDK, SigV4, replayed API)', () => {
  it('Converse: a SigV4-signed request to /model/<id>/converse with system, image, tool call and tool result mapped; the tool call answer and cache usage back', async () => {
    api.reply({
      headers: { 'x-amzn-requestid': 'req-1' },
      json: {
        output: { message: { role: 'assistant', content: [{ text: 'Let me check.' }, { toolUse: { toolUseId: 'tooluse_2', name: 'weather', input: { city: 'Lyon' } } }] } },
        stopReason: 'tool_use',
        usage: { inputTokens: 30, outputTokens: 12, totalTokens: 142, cacheReadInputTokens: 100, cacheWriteInputTokens: 0 },
        metrics: { latencyMs: 420 },
      },
    });
    const answer = await provider.complete(MODEL, REQ, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, `/model/${encodeURIComponent(MODEL)}/converse`);
    await assertSigned(sent);
    assert.deepEqual(sent.body, {
      system: [{ text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ text: 'What is on this map?' }, { image: { format: 'png', source: { bytes: PNG.toString('base64') } } }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'weather', input: { city: 'Paris' } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '21°C, sunny' }] } }] },
      ],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, stopSequences: ['END'] },
      toolConfig: { tools: [{ toolSpec: { name: 'weather', description: 'Weather for a city', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }], toolChoice: { auto: {} } },
    });
    assert.equal(answer.id, 'chatcmpl-bedrock-req-1');
    assert.equal(answer.model, MODEL);
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(answer.choices[0]?.message.content, 'Let me check.');
    assert.deepEqual((answer.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [{ id: 'tooluse_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lyon"}' } }]);
    assert.deepEqual(answer.usage, { prompt_tokens: 130, completion_tokens: 12, total_tokens: 142, prompt_tokens_details: { cached_tokens: 100 } });
  });

  it('ConverseStream: binary event frames become OpenAI chunks in order (text, then a tool call), assembled with the usage', async () => {
    api.reply({
      headers: EVENT_STREAM,
      frames: [
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Checking' } }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' now.' } }),
        event('contentBlockStop', { contentBlockIndex: 0 }),
        event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_9', name: 'weather' } } }),
        event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }),
        event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Nice"}' } } }),
        event('contentBlockStop', { contentBlockIndex: 1 }),
        event('messageStop', { stopReason: 'tool_use' }),
        event('metadata', { usage: { inputTokens: 25, outputTokens: 9, totalTokens: 34 }, metrics: { latencyMs: 300 } }),
      ],
    });
    const seen: ChatChunk[] = [];
    const answer = await provider.stream!(MODEL, REQ, streamOpts((c) => seen.push(c)));
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, `/model/${encodeURIComponent(MODEL)}/converse-stream`);
    await assertSigned(sent);
    assert.equal(seen.length, 8); // messageStart, 2 texts, tool start, 2 tool inputs, stop, usage
    assert.deepEqual(seen[0]?.choices[0]?.delta, { role: 'assistant', content: '' });
    assert.deepEqual(seen[3]?.choices[0]?.delta, { tool_calls: [{ index: 0, id: 'tooluse_9', type: 'function', function: { name: 'weather', arguments: '' } }] });
    assert.ok(seen.every((c) => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-bedrock-req-stream-1'));
    assert.equal(answer.choices[0]?.message.content, 'Checking now.');
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual((answer.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [{ id: 'tooluse_9', type: 'function', function: { name: 'weather', arguments: '{"city":"Nice"}' } }]);
    assert.deepEqual(answer.usage, { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 });
  });

  const streamFails = async (frames: Uint8Array[]) => {
    api.reply({ headers: EVENT_STREAM, frames });
    const chunks: ChatChunk[] = [];
    const err = await provider.stream!(MODEL, REQ, streamOpts((c) => chunks.push(c))).then(
      () => assert.fail('expected an upstream error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
    return { err, chunks };
  };

  it('an exception frame mid-stream is the provider error it names (throttlingException: 429, modelStreamErrorException: 500)', async () => {
    const throttled = await streamFails([event('messageStart', { role: 'assistant' }), exception('throttlingException', 'Too many tokens, please wait before trying again.')]);
    assert.equal(throttled.chunks.length, 1);
    assert.deepEqual([throttled.err.kind, throttled.err.status, throttled.err.providerCode, throttled.err.message], ['http', 429, 'ThrottlingException', 'Too many tokens, please wait before trying again.']);
    const broken = await streamFails([exception('modelStreamErrorException', 'The model failed mid-stream')]);
    assert.deepEqual([broken.err.status, broken.err.providerCode], [500, 'ModelStreamErrorException']);
    const tooLong = await streamFails([exception('validationException', 'Input is too long for requested model.')]);
    assert.deepEqual([tooLong.err.status, tooLong.err.providerCode], [400, 'context_length_exceeded']);
  });

  it('ConverseStream refused before the stream starts (an AWS JSON error) is that error', async () => {
    api.reply(awsError(403, 'AccessDeniedException', "You don't have access to the model with the specified model ID."));
    const err = await provider.stream!(MODEL, REQ, streamOpts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError);
    assert.deepEqual([err.kind, err.status, err.providerCode], ['http', 403, 'AccessDeniedException']);
  });

  it('a stream that ends without messageStop is a broken connection, not a finished answer', async () => {
    const { err, chunks } = await streamFails([event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Half an ans' } })]);
    assert.equal(chunks.length, 2);
    assert.equal(err.kind, 'connection');
  });

  it('a stream that stopped but sent no metadata is still a whole answer', async () => {
    api.reply({ headers: EVENT_STREAM, frames: [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Done.' } }), event('messageStop', { stopReason: 'end_turn' })] });
    const answer = await provider.stream!(MODEL, REQ, streamOpts());
    assert.equal(answer.choices[0]?.message.content, 'Done.');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
  });

  const quick = { headersMs: 5000, firstTokenMs: 5000, idleMs: 150, totalMs: 5000 };

  it('deadlines: an answer that stopped but was never closed is complete; a stream silent mid-answer is a timeout', async () => {
    api.reply({ headers: EVENT_STREAM, hold: true, frames: [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Done.' } }), event('messageStop', { stopReason: 'end_turn' })] });
    const whole = await provider.stream!(MODEL, REQ, { ...streamOpts(), deadlines: quick });
    assert.equal(whole.choices[0]?.message.content, 'Done.');
    api.reply({ headers: EVENT_STREAM, hold: true, frames: [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Half' } })] });
    const err = await provider.stream!(MODEL, REQ, { ...streamOpts(), deadlines: quick }).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError);
    assert.deepEqual([err.kind, err.providerCode], ['timeout', 'deadline_idle']);
  });

  it("the caller's own abort mid-stream ends the call with the caller's reason, not a provider error", async () => {
    api.reply({ headers: EVENT_STREAM, hold: true, frames: [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } })] });
    const caller = new AbortController();
    const reason = new Error('caller went away');
    const err = await provider.stream!(MODEL, REQ, { signal: caller.signal, deadlines: deadlinesFromTimeout(5000), onChunk: (c) => c.choices[0]?.delta?.content && caller.abort(reason) }).catch((e: unknown) => e);
    assert.equal(err, reason);
  });

  const failsWith = async (want: Partial<UpstreamError>) => {
    const err = await provider.complete(MODEL, REQ, opts()).then(
      () => assert.fail('expected an upstream error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(err[k as keyof UpstreamError], v, k);
  };

  it('throttling: 429, with the wait when a Retry-After header is present', async () => {
    api.reply(awsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'));
    await failsWith({ kind: 'http', status: 429, providerCode: 'ThrottlingException', retryAfterMs: undefined, message: 'Too many requests, please wait before trying again.' });
    api.reply(awsError(429, 'ThrottlingException', 'Too many requests', { 'retry-after': '3' }));
    await failsWith({ status: 429, retryAfterMs: 3000 });
  });

  it('every Bedrock error shape maps to its status and code', async () => {
    const cases: Array<[number, string, string, Partial<UpstreamError>]> = [
      [503, 'ServiceUnavailableException', 'Service is unavailable', { status: 503 }],
      [500, 'InternalServerException', 'Internal error', { status: 500 }],
      [408, 'ModelTimeoutException', 'Model timed out', { status: 408 }],
      [429, 'ModelNotReadyException', 'Model is not ready', { status: 429 }],
      [424, 'ModelErrorException', 'The model returned an error', { status: 502 }],
      [400, 'ValidationException', 'Input is too long for requested model.', { status: 400, providerCode: 'context_length_exceeded' }],
      [400, 'ValidationException', 'temperature: must be at most 1', { status: 400, providerCode: 'ValidationException', message: 'temperature: must be at most 1' }],
      [403, 'AccessDeniedException', "You don't have access to the model with the specified model ID.", { status: 403 }],
      [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.', { status: 401 }],
      [403, 'ExpiredTokenException', 'The security token included in the request is expired', { status: 403 }],
      [404, 'ResourceNotFoundException', 'Model not found', { status: 404 }],
    ];
    for (const [status, type, message, want] of cases) {
      api.reply(awsError(status, type, message));
      await failsWith({ kind: 'http', providerCode: type, ...want });
    }
  });

  it('a success body that is not a Converse answer is malformed, never passed on', async () => {
    api.reply({ json: { hello: 'world' } });
    await failsWith({ kind: 'malformed' });
  });

  it('an endpoint that refuses connections is a connection error', async () => {
    const config = bedrockConfig({ endpoint: 'http://127.0.0.1:9' });
    const down = createProviders(config, KEYS).get('aws')!;
    const err = await down.complete(MODEL, REQ, opts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.kind, 'connection');
  });
});
