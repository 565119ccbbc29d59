import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { ProviderSchema, classifyUpstreamError, createProviders, UpstreamError, type ChatProvider } from '../../src/providers';
import { createAzureProvider } from '../../src/providers/azure';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Azure OpenAI adapter through the real `AzureOpenAI` client, against Azure's documented
 * response shapes replayed on 127.0.0.1: deployment path and api-version, `api-key` or Entra ID
 * bearer auth, Azure's content-filter annotations and errors, rate limits, embeddings.
 */
let api: ReplayServer;
let keyDir: string;
let keyed: ChatProvider;
const configFor = (provider: Record<string, unknown>) =>
  parseConfigObject({
    providers: { az: { kind: 'azure-openai', ...provider } },
    models: { m: { provider: 'az', upstream: 'gpt4o-prod' } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
before(async () => {
  api = await startReplayServer();
  keyDir = mkdtempSync(join(tmpdir(), 'azure-key-'));
  keyed = createProviders(configFor({ endpoint: `${api.url}/`, apiKeyEnv: 'AZ_KEY' }), { AZ_KEY: 'azure-key-1' }).get('az')!;
});
after(async () => { rmSync(keyDir, { recursive: true, force: true }); await api.close(); });

const REQ = { model: 'm', messages: [{ role: 'user', content: 'weather in Paris?' }], metadata: { task: 'chat' } } as ChatCompletionRequest;
const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const streamOpts = (onChunk: (c: ChatChunk) => void = () => {}) => ({ signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk });
const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
const safe = { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' }, sexual: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' } };
const promptFilter = [{ prompt_index: 0, content_filter_results: safe }];
const toolCall = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } };
const completion = (message: object, finish: string) => ({
  id: 'chatcmpl-az1', object: 'chat.completion', created: 1, model: 'gpt-4o-2024-08-06', prompt_filter_results: promptFilter,
  choices: [{ index: 0, message, finish_reason: finish, content_filter_results: safe }], usage,
});
const azureError = (code: string, message: string, extra: object = {}) => ({ error: { code, message, ...extra } });

const failure = async (call: Promise<unknown>): Promise<UpstreamError> => {
  const err = await call.then(() => assert.fail('expected an upstream error'), (e: unknown) => e);
  assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
  return err;
};
const classified = (err: UpstreamError) => classifyUpstreamError(err, 60_000).type;

describe('azure-openai adapter (real AzureOpenAI client, replayed API)', () => {
  it('posts to the deployment with the api-version, the key as api-key (no Authorization); returns the tool call and usage', async () => {
    api.reply({ json: completion({ role: 'assistant', content: null, tool_calls: [toolCall] }, 'tool_calls') });
    const answer = await keyed.complete('gpt4o-prod', REQ, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
    assert.equal(sent.headers['api-key'], 'azure-key-1');
    assert.equal(sent.headers.authorization, undefined);
    assert.deepEqual(sent.body, { model: 'gpt4o-prod', messages: REQ.messages });
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual((answer.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [toolCall]);
    assert.deepEqual(answer.usage, usage);
  });

  it('Entra ID: the token provider\'s token as Bearer, no api-key; a token that cannot be had is a 401 before any request', async () => {
    const tokens = ['entra-token-1', 'entra-token-2'];
    const entra = createAzureProvider({ endpoint: api.url, apiVersion: '2025-01-01-preview', auth: { tokenProvider: async () => tokens.shift()! } });
    api.reply({ json: completion({ role: 'assistant', content: 'Sunny' }, 'stop') }, { json: completion({ role: 'assistant', content: 'Rain' }, 'stop') });
    await entra.complete('gpt4o-prod', REQ, opts());
    assert.equal(api.seen.at(-1)!.headers.authorization, 'Bearer entra-token-1');
    assert.equal(api.seen.at(-1)!.headers['api-key'], undefined);
    assert.equal(api.seen.at(-1)!.path, '/openai/deployments/gpt4o-prod/chat/completions?api-version=2025-01-01-preview');
    await entra.complete('gpt4o-prod', REQ, opts());
    assert.equal(api.seen.at(-1)!.headers.authorization, 'Bearer entra-token-2'); // asked again at every call: refreshed tokens are used

    const noIdentity = createAzureProvider({ endpoint: api.url, apiVersion: '2024-10-21', auth: { tokenProvider: () => Promise.reject(new Error('DefaultAzureCredential failed to retrieve a token\nmore lines')) } });
    const sentBefore = api.seen.length;
    const err = await failure(noIdentity.complete('gpt4o-prod', REQ, opts()));
    assert.equal(err.status, 401);
    assert.equal(err.message, 'Entra ID token unavailable: DefaultAzureCredential failed to retrieve a token');
    assert.equal(classified(err), 'ProviderAuthError');
    assert.equal(api.seen.length, sentBefore);
  });

  it('streams: Azure\'s prompt-filter and annotation chunks are not passed on; the answer keeps the real id and model', async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 2, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta, finish_reason: finish, content_filter_results: safe }] });
    api.reply({
      events: [
        { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilter },
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Sunny' }),
        { choices: [{ index: 0, finish_reason: null, content_filter_results: safe, content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 5 } }], created: 0, id: '', model: '', object: '' },
        chunk({}, 'stop'),
        { id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 2, model: 'gpt-4o-2024-08-06', choices: [], usage },
        '[DONE]',
      ],
    });
    const seen: ChatChunk[] = [];
    const answer = await keyed.stream!('gpt4o-prod', REQ, streamOpts((c) => seen.push(c)));
    assert.equal(api.seen.at(-1)!.headers['api-key'], 'azure-key-1');
    assert.deepEqual((api.seen.at(-1)!.body as { stream_options?: unknown }).stream_options, { include_usage: true });
    assert.equal(seen.length, 4);
    assert.ok(seen.every((c) => c.id === 'chatcmpl-s1'));
    assert.equal(answer.id, 'chatcmpl-s1');
    assert.equal(answer.model, 'gpt-4o-2024-08-06');
    assert.equal(answer.choices[0]?.message.content, 'Sunny');
    assert.deepEqual(answer.usage, usage);
  });

  it('a prompt the content filter blocked (400 content_filter, ResponsibleAIPolicyViolation) is ContentPolicyRejected, naming the categories', async () => {
    api.reply({
      status: 400,
      json: azureError('content_filter', "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", {
        param: 'prompt', status: 400,
        innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { ...safe, hate: { filtered: true, severity: 'high' }, jailbreak: { filtered: true, detected: true } } },
      }),
    });
    const err = await failure(keyed.complete('gpt4o-prod', REQ, opts()));
    assert.equal(err.status, 400);
    assert.equal(err.providerCode, 'content_filter');
    assert.match(err.message, /content management policy\. \(filtered: hate, jailbreak\)$/);
    assert.equal(classified(err), 'ContentPolicyRejected');

    // The same refusal before a stream's first byte.
    api.reply({ status: 400, json: azureError('content_filter', 'The response was filtered.', { innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { violence: { filtered: true, severity: 'medium' } } } }) });
    const streamed = await failure(keyed.stream!('gpt4o-prod', REQ, streamOpts()));
    assert.equal(streamed.providerCode, 'content_filter');
    assert.equal(streamed.message, 'The response was filtered. (filtered: violence)');
  });

  it('an answer the filter cut (200, finish_reason content_filter) is a normal answer with that finish reason, streamed or not', async () => {
    api.reply({ json: completion({ role: 'assistant' }, 'content_filter') });
    const answer = await keyed.complete('gpt4o-prod', REQ, opts());
    assert.equal(answer.choices[0]?.finish_reason, 'content_filter');
    assert.equal(answer.choices[0]?.message.content, null);

    const chunk = (delta: object, finish: string | null = null) => ({ id: 'chatcmpl-s2', object: 'chat.completion.chunk', created: 2, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] });
    api.reply({ events: [chunk({ role: 'assistant', content: 'Once' }), chunk({}, 'content_filter'), { id: 'chatcmpl-s2', object: 'chat.completion.chunk', created: 2, model: 'gpt-4o', choices: [], usage }, '[DONE]'] });
    const streamed = await keyed.stream!('gpt4o-prod', REQ, streamOpts());
    assert.equal(streamed.choices[0]?.finish_reason, 'content_filter');
    assert.equal(streamed.choices[0]?.message.content, 'Once');
  });

  it('429 with retry-after-ms: rate limited, retried after Azure\'s wait', async () => {
    api.reply({
      status: 429,
      headers: { 'retry-after': '6', 'retry-after-ms': '5500' },
      json: azureError('429', 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.'),
    });
    const err = await failure(keyed.complete('gpt4o-prod', REQ, opts()));
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterMs, 5500);
    assert.deepEqual(classifyUpstreamError(err, 60_000), { type: 'ProviderRateLimited', retryable: true, nextRetryDelayMs: 5500 });
  });

  it('Azure\'s 401, context too long and 5xx: auth error, context length, server error, with Azure\'s message', async () => {
    api.reply({ status: 401, json: azureError('401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.') });
    const denied = await failure(keyed.complete('gpt4o-prod', REQ, opts()));
    assert.equal(denied.status, 401);
    assert.match(denied.message, /^Access denied due to invalid subscription key/);
    assert.equal(classified(denied), 'ProviderAuthError');

    api.reply({ status: 400, json: { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } });
    const tooLong = await failure(keyed.complete('gpt4o-prod', REQ, opts()));
    assert.equal(tooLong.providerCode, 'context_length_exceeded');
    assert.equal(classified(tooLong), 'ContextLengthExceeded');

    api.reply({ status: 503, json: azureError('ServiceUnavailable', 'The service is temporarily unable to process your request. Please try again later.') });
    const down = await failure(keyed.complete('gpt4o-prod', REQ, opts()));
    assert.equal(down.status, 503);
    assert.equal(classified(down), 'ProviderServerError');
  });

  it('a missing key is the provider\'s 401 before any request; a replaced key file is used from the next call on', async () => {
    const unset = createProviders(configFor({ endpoint: api.url, apiKeyEnv: 'AZ_KEY' }), {}).get('az')!;
    const sentBefore = api.seen.length;
    const err = await failure(unset.complete('gpt4o-prod', REQ, opts()));
    assert.equal(err.status, 401);
    assert.equal(err.message, 'API key not configured: set $AZ_KEY');
    assert.equal(api.seen.length, sentBefore);

    const file = join(keyDir, 'key');
    writeFileSync(file, 'file-key-1\n');
    const fromFile = createProviders(configFor({ endpoint: api.url, apiKeyFile: file }), {}).get('az')!;
    api.reply({ json: completion({ role: 'assistant', content: 'a' }, 'stop') }, { json: completion({ role: 'assistant', content: 'b' }, 'stop') });
    await fromFile.complete('gpt4o-prod', REQ, opts());
    assert.equal(api.seen.at(-1)!.headers['api-key'], 'file-key-1');
    writeFileSync(`${file}.new`, 'file-key-2\n');
    renameSync(`${file}.new`, file);
    await fromFile.complete('gpt4o-prod', REQ, opts());
    assert.equal(api.seen.at(-1)!.headers['api-key'], 'file-key-2');
  });

  it('embeddings: the deployment\'s embeddings path, floats asked for, the vectors in input order', async () => {
    const req = { model: 'emb', input: ['first', 'second'], dimensions: 3, encoding_format: 'base64', metadata: { task: 'search' } } as EmbeddingsRequest;
    api.reply({ json: { object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 4, total_tokens: 4 }, data: [{ object: 'embedding', index: 1, embedding: [0.4, 0.5, 0.6] }, { object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }] } });
    const out = await keyed.embed!('emb-small', req, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/openai/deployments/emb-small/embeddings?api-version=2024-10-21');
    assert.equal(sent.headers['api-key'], 'azure-key-1');
    assert.deepEqual(sent.body, { model: 'emb-small', input: ['first', 'second'], encoding_format: 'float', dimensions: 3 });
    assert.deepEqual(out.data.map((d) => [d.index, d.embedding]), [[0, [0.1, 0.2, 0.3]], [1, [0.4, 0.5, 0.6]]]);
    assert.deepEqual(out.usage, { prompt_tokens: 4, total_tokens: 4 });

    api.reply({ status: 429, headers: { 'retry-after': '2' }, json: azureError('429', 'Requests to the Embeddings_Create Operation have exceeded call rate limit.') });
    const limited = await failure(keyed.embed!('emb-small', req, opts()));
    assert.equal(limited.retryAfterMs, 2000);
    assert.equal(classified(limited), 'ProviderRateLimited');
  });

  it('unsupported: Azure takes every OpenAI request field', () => {
    assert.deepEqual(keyed.unsupported!({ ...REQ, logprobs: true, top_logprobs: 2, response_format: { type: 'json_object' } } as ChatCompletionRequest), []);
  });
});

describe('azure-openai config', () => {
  const parse = (p: object) => ProviderSchema.safeParse({ kind: 'azure-openai', endpoint: 'https://acme.openai.azure.com', ...p });

  it('exactly one way to authenticate: a key setting or entraId; the api-version defaults to the current GA', () => {
    assert.deepEqual(parse({ apiKeyEnv: 'AZURE_OPENAI_API_KEY' }).data, { kind: 'azure-openai', endpoint: 'https://acme.openai.azure.com', apiVersion: '2024-10-21', apiKeyEnv: 'AZURE_OPENAI_API_KEY' });
    assert.equal(parse({ entraId: true, apiVersion: '2025-01-01-preview' }).success, true);
    assert.equal(parse({ entraId: false, apiKeyFile: '/run/secrets/azure' }).success, true); // false: not a way to authenticate
    assert.equal(parse({}).error?.issues[0]?.message, 'azure-openai needs one way to authenticate: apiKeyEnv, apiKeyFile, or entraId: true');
    const both = parse({ apiKeyEnv: 'K', entraId: true }).error?.issues[0];
    assert.equal(both?.message, 'azure-openai takes one way to authenticate, not apiKeyEnv and entraId');
    assert.deepEqual(both?.path, ['entraId']);
    assert.deepEqual(parse({ apiKeyEnv: 'K', apiVersion: 'latest' }).error?.issues[0]?.path, ['apiVersion']);
    assert.deepEqual(parse({ apiKeyEnv: 'K', endpoint: 'acme' }).error?.issues[0]?.path, ['endpoint']);
    assert.match(parse({ apiKeyEnv: 'K', endpoint: 'https://acme.openai.azure.com/openai/' }).error?.issues[0]?.message ?? '', /without \/openai/);
  });

  it('the budget cap goes in max_completion_tokens from api-version 2024-09-01-preview on, else max_tokens', () => {
    const cap = (apiVersion: string) => createAzureProvider({ endpoint: 'https://acme.openai.azure.com', apiVersion, auth: { apiKey: () => 'k' } }).outputCapField;
    assert.equal(cap('2024-10-21'), 'max_completion_tokens');
    assert.equal(cap('2024-09-01-preview'), 'max_completion_tokens');
    assert.equal(cap('2024-06-01'), 'max_tokens');
  });

  it('an entraId provider is built without loading @azure/identity (loaded on its first call only)', () => {
    const probe = `
      const { parseConfigObject } = require('./src/config');
      const { createProviders } = require('./src/providers');
      const config = parseConfigObject({ providers: { az: { kind: 'azure-openai', endpoint: 'https://acme.openai.azure.com', entraId: true } },
        models: { m: { provider: 'az', upstream: 'gpt-4o' } }, callers: {}, routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }] });
      createProviders(config, {});
      process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('@azure/identity'))));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });
});
