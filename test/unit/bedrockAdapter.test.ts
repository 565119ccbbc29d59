import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash, fromUtf8, toUtf8 } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChatCompletionRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { priceFor } from '../../src/cost';
import { createProviders, UpstreamError, type ChatProvider } from '../../src/providers';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';
import { startReplayServer, type ReplayServer, type Seen } from '../helpers/replay';

/**
 * The Bedrock adapter through the real AWS SDK, against Bedrock's documented Converse,
 * ConverseStream (AWS event-stream binary framing) and InvokeModel shapes replayed on 127.0.0.1.
 * The SDK signs every request with SigV4 for real; the test re-computes the signature from what the
 * server received.
 */
const KEYS = { AWS_ACCESS_KEY_ID: 'AKIDREPLAYEXAMPLE', AWS_SECRET_ACCESS_KEY: 'replay/secret/key/EXAMPLE' };
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
let api: ReplayServer;
let provider: ChatProvider;
before(async () => {
  api = await startReplayServer({ http2: true }); // the Bedrock runtime client speaks HTTP/2 only
  const config = parseConfigObject({
    providers: { aws: { kind: 'bedrock', region: 'us-east-1', endpoint: api.url } },
    models: { m: { provider: 'aws', upstream: MODEL } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
  provider = createProviders(config, KEYS).get('aws')!;
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

/** Re-signs what the server received with the same key and date: equal only if the SDK signed exactly these bytes. */
async function assertSigned(seen: Seen, keys: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } = KEYS): Promise<void> {
  const auth = String(seen.headers.authorization);
  const amzDate = String(seen.headers['x-amz-date']);
  assert.match(amzDate, /^\d{8}T\d{6}Z$/);
  assert.match(auth, new RegExp(`^AWS4-HMAC-SHA256 Credential=${keys.AWS_ACCESS_KEY_ID}/${amzDate.slice(0, 8)}/us-east-1/bedrock/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$`));
  // The signer trusts x-amz-content-sha256 for the payload: check it is the hash of the body received.
  assert.equal(seen.headers['x-amz-content-sha256'], createHash('sha256').update(seen.raw).digest('hex'));
  const signedNames = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
  const headers = Object.fromEntries(signedNames.map((h) => [h, String(seen.headers[h])]));
  const [hostname, port] = String(seen.headers.host ?? seen.headers[':authority']).split(':');
  const request = new HttpRequest({ method: seen.method, protocol: 'http:', hostname, port: Number(port), path: seen.path, headers, body: seen.raw });
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: keys.AWS_ACCESS_KEY_ID, secretAccessKey: keys.AWS_SECRET_ACCESS_KEY }, sha256: Hash.bind(null, 'sha256') });
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signed = await signer.sign(request, { signingDate: date });
  assert.equal(auth, signed.headers.authorization, 'the SigV4 signature does not match the request received');
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: 'string' as const, value });
/** One ConverseStream event in AWS event-stream framing (prelude, headers, JSON payload, CRCs). */
const event = (type: string, payload: object) => codec.encode({ headers: { ':message-type': str('event'), ':event-type': str(type), ':content-type': str('application/json') }, body: fromUtf8(JSON.stringify({ ...payload, p: 'abcd' })) });
const exception = (type: string, message: string) => codec.encode({ headers: { ':message-type': str('exception'), ':exception-type': str(type), ':content-type': str('application/json') }, body: fromUtf8(JSON.stringify({ message })) });
const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-stream-1' };
const awsError = (status: number, type: string, message: string, headers: Record<string, string> = {}) => ({ status, headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'req-err', ...headers }, json: { message } });

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
    const config = parseConfigObject({
      providers: { aws: { kind: 'bedrock', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' } },
      models: { m: { provider: 'aws', upstream: MODEL } },
      callers: {},
      routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
    });
    const down = createProviders(config, KEYS).get('aws')!;
    const err = await down.complete(MODEL, REQ, opts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.kind, 'connection');
  });

  it('profile: credentials from a named profile of the shared AWS files (the SDK\'s own chain), not from the gateway\'s keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-aws-'));
    const profileKeys = { AWS_ACCESS_KEY_ID: 'AKIDPROFILEEXAMPLE', AWS_SECRET_ACCESS_KEY: 'profile/secret/EXAMPLE' };
    writeFileSync(join(dir, 'credentials'), `[replay]\naws_access_key_id = ${profileKeys.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${profileKeys.AWS_SECRET_ACCESS_KEY}\n`);
    writeFileSync(join(dir, 'config'), '');
    const saved = { creds: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    try {
      const config = parseConfigObject({
        providers: { aws: { kind: 'bedrock', region: 'eu-west-3', endpoint: api.url, profile: 'replay' } },
        models: { m: { provider: 'aws', upstream: MODEL } },
        callers: {},
        routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
      });
      const viaProfile = createProviders(config, KEYS).get('aws')!;
      api.reply({ json: { output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } } });
      await viaProfile.complete(MODEL, REQ, opts());
      const auth = String(api.seen.at(-1)!.headers.authorization);
      assert.match(auth, /Credential=AKIDPROFILEEXAMPLE\/\d{8}\/eu-west-3\/bedrock\/aws4_request/);
    } finally {
      for (const [k, v] of [['AWS_SHARED_CREDENTIALS_FILE', saved.creds], ['AWS_CONFIG_FILE', saved.config]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Bedrock API key (apiKeyEnv) is sent as a Bearer token instead of a signature; a missing key is the provider\'s 401', async () => {
    const config = parseConfigObject({
      providers: { aws: { kind: 'bedrock', region: 'us-west-2', endpoint: api.url, apiKeyEnv: 'BEDROCK_KEY' } },
      models: { m: { provider: 'aws', upstream: MODEL } },
      callers: {},
      routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
    });
    const withKey = createProviders(config, { ...KEYS, BEDROCK_KEY: 'bedrock-api-key-EXAMPLE' }).get('aws')!;
    api.reply({ json: { output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } } });
    await withKey.complete(MODEL, REQ, opts());
    assert.equal(api.seen.at(-1)!.headers.authorization, 'Bearer bedrock-api-key-EXAMPLE');
    const before = api.seen.length;
    const noKey = createProviders(config, KEYS).get('aws')!;
    const err = await noKey.complete(MODEL, REQ, opts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError, String(err));
    assert.deepEqual([err.kind, err.status], ['http', 401]);
    assert.match(err.message, /\$BEDROCK_KEY/);
    assert.equal(api.seen.length, before);
  });

  it('the AWS SDK is loaded on the first call, not when the registry is imported', () => {
    const probe = `
      require('./src/providers/registry.ts');
      process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('node_modules/@aws-sdk/'))));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });

  it('embeddings: Titan v2 through InvokeModel, one signed call per input, every input embedded, usage summed', async () => {
    const titan = 'amazon.titan-embed-text-v2:0';
    api.reply({ json: { embedding: [0.1, 0.2, 0.3], inputTextTokenCount: 4 } }, { json: { embedding: [0.4, 0.5, 0.6], inputTextTokenCount: 6 } });
    const out = await provider.embed!(titan, { model: 'e', input: ['first text', 'second text'], dimensions: 256 }, opts());
    const calls = api.seen.slice(-2);
    for (const call of calls) {
      assert.equal(call.path, `/model/${encodeURIComponent(titan)}/invoke`);
      await assertSigned(call);
    }
    assert.deepEqual(calls.map((c) => c.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
      { inputText: 'first text', normalize: true, dimensions: 256 },
      { inputText: 'second text', normalize: true, dimensions: 256 },
    ]);
    // Both calls may be in flight at once, so which reply answers which input is the server's order here.
    assert.deepEqual(out.data.map((d) => d.index), [0, 1]);
    assert.deepEqual(out.data.map((d) => d.embedding).sort(), [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    assert.deepEqual(out.usage, { prompt_tokens: 10, total_tokens: 10 });
  });

  it('embeddings: Cohere through InvokeModel, the inputs in one batch, vectors in input order, tokens from the response header', async () => {
    const cohere = 'cohere.embed-english-v3';
    api.reply({ headers: { 'x-amzn-bedrock-input-token-count': '12' }, json: { id: 'e1', response_type: 'embeddings_by_type', texts: ['a', 'b', 'c'], embeddings: { float: [[1, 0], [0, 1], [0.5, 0.5]] } } });
    const out = await provider.embed!(cohere, { model: 'e', input: ['a', 'b', 'c'] }, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, `/model/${encodeURIComponent(cohere)}/invoke`);
    await assertSigned(sent);
    assert.deepEqual(sent.body, { texts: ['a', 'b', 'c'], input_type: 'search_document', embedding_types: ['float'] });
    assert.deepEqual(out.data.map((d) => [d.index, d.embedding]), [[0, [1, 0]], [1, [0, 1]], [2, [0.5, 0.5]]]);
    assert.deepEqual(out.usage, { prompt_tokens: 12, total_tokens: 12 });
  });

  it('embeddings with a model that is neither Titan v2 nor Cohere: a 400 that names it, nothing sent; a Bedrock error is mapped', async () => {
    const before = api.seen.length;
    const err = await provider.embed!('amazon.titan-embed-image-v1', { model: 'e', input: 'x' }, opts()).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.status, 400);
    assert.match(err.message, /amazon\.titan-embed-image-v1/);
    assert.equal(api.seen.length, before);
    api.reply(awsError(429, 'ThrottlingException', 'Too many requests'));
    const throttled = await provider.embed!('amazon.titan-embed-text-v2:0', { model: 'e', input: 'x' }, opts()).catch((e: unknown) => e);
    assert.ok(throttled instanceof UpstreamError);
    assert.deepEqual([throttled.status, throttled.providerCode], [429, 'ThrottlingException']);
  });

  it('prices: Bedrock model ids and inference profiles resolve in the catalog under aws', () => {
    for (const id of [MODEL, `us.${MODEL}`, `arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.${MODEL}`]) {
      const price = priceFor('bedrock', id);
      assert.equal(price.source, 'genai-prices', id);
      assert.equal(price.catalog?.provider, 'aws');
      assert.equal(price.inputPerMTok, 0.8);
      assert.equal(price.outputPerMTok, 4);
    }
    assert.equal(priceFor('bedrock', 'amazon.nova-lite-v1:0').catalog?.model, 'amazon.nova-lite-v1:0');
  });
});
