import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatCompletionRequest } from '../../src/config/api';
import { priceFor } from '../../src/cost';
import { createProviders, ProviderSchema, UpstreamError, type ChatProvider } from '../../src/providers';
import { KEYS, MODEL, assertSigned, awsError, bedrockConfig, converseAnswer } from '../helpers/bedrock';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Bedrock adapter's credentials (static keys, a named profile, a Bedrock API key), its lazy SDK,
 * embeddings through InvokeModel and its prices: the real AWS SDK against a replayed API on 127.0.0.1.
 */
let api: ReplayServer;
let provider: ChatProvider;
before(async () => {
  api = await startReplayServer({ http2: true }); // the Bedrock runtime client speaks HTTP/2 only
  provider = createProviders(bedrockConfig({ endpoint: api.url }), KEYS).get('aws')!;
});
after(() => api.close());

const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const REQ = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as ChatCompletionRequest;

describe('bedrock adapter: credentials, embeddings, prices (real AWS SDK, replayed API)', () => {
  it('profile: credentials from a named profile of the shared AWS files (the SDK\'s own chain), not from the gateway\'s keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-aws-'));
    const profileKeys = { AWS_ACCESS_KEY_ID: 'AKIDPROFILEEXAMPLE', AWS_SECRET_ACCESS_KEY: 'profile/secret/EXAMPLE' };
    writeFileSync(join(dir, 'credentials'), `[replay]\naws_access_key_id = ${profileKeys.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${profileKeys.AWS_SECRET_ACCESS_KEY}\n`);
    writeFileSync(join(dir, 'config'), '');
    const saved = { creds: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    try {
      const config = bedrockConfig({ region: 'eu-west-3', endpoint: api.url, profile: 'replay' });
      const viaProfile = createProviders(config, KEYS).get('aws')!;
      api.reply({ json: converseAnswer('ok') });
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
    const config = bedrockConfig({ region: 'us-west-2', endpoint: api.url, apiKeyEnv: 'BEDROCK_KEY' });
    const withKey = createProviders(config, { ...KEYS, BEDROCK_KEY: 'bedrock-api-key-EXAMPLE' }).get('aws')!;
    api.reply({ json: converseAnswer('ok') });
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

  it('config: region is required and must look like an AWS region; endpoint must be a URL', () => {
    const parse = (p: Record<string, unknown>) => ProviderSchema.safeParse({ kind: 'bedrock', ...p });
    assert.deepEqual(parse({}).error?.issues[0]?.path, ['region']);
    assert.deepEqual(parse({ region: 'Frankfurt' }).error?.issues[0]?.path, ['region']);
    assert.deepEqual(parse({ region: 'eu-central-1', endpoint: 'not a url' }).error?.issues[0]?.path, ['endpoint']);
    for (const region of ['us-east-1', 'us-gov-west-1', 'ap-southeast-2', 'eusc-de-east-1']) assert.equal(parse({ region }).success, true, region);
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
