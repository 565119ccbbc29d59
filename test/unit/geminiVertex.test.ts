import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import type { ChatCompletionRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import { createGeminiProvider } from '../../src/providers/gemini';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Gemini adapter's Vertex AI option through the real `@google/genai` SDK: Vertex's paths
 * (projects/<p>/locations/<l>/publishers/google/models/…) at a replay server on 127.0.0.1, with an
 * OAuth token injected as google-auth-library's client (what Application Default Credentials would
 * produce; ADC's own discovery — key file, gcloud, metadata server — is google-auth-library's and
 * needs network, so it is not run here).
 */
let api: ReplayServer;
before(async () => {
  api = await startReplayServer();
});
after(() => api.close());

const MODEL = 'gemini-2.5-flash';
const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
const streamOpts = () => ({ signal: new AbortController().signal, deadlines: deadlinesFromTimeout(5000), onChunk: () => {} });
const REQ = { model: 'm', messages: [{ role: 'user', content: 'hello' }] } as ChatCompletionRequest;
const answer = (text: string, finishReason?: string) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}), index: 0 }], modelVersion: MODEL });
const vertexProvider = (location: string) => {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'ya29.replay', expiry_date: Date.now() + 3_600_000 });
  return createGeminiProvider({ baseUrl: api.url, vertex: { project: 'acme', location }, googleAuthOptions: { authClient: auth } });
};

describe('gemini adapter on Vertex AI (real SDK, injected OAuth token)', () => {
  it('posts to projects/<p>/locations/<l>/publishers/google/models/<model>:generateContent with the Bearer token', async () => {
    const vertex = vertexProvider('europe-west4');
    api.reply({ json: answer('Bonjour', 'STOP') });
    const out = await vertex.complete(MODEL, REQ, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, `/v1beta1/projects/acme/locations/europe-west4/publishers/google/models/${MODEL}:generateContent`);
    assert.equal(sent.headers.authorization, 'Bearer ya29.replay');
    assert.equal(sent.headers['x-goog-api-key'], undefined);
    assert.equal(out.choices[0]?.message.content, 'Bonjour');
  });

  it('streams on Vertex from :streamGenerateContent?alt=sse', async () => {
    const vertex = vertexProvider('global');
    api.reply({ events: [answer('Bon'), answer('jour', 'STOP')] });
    const out = await vertex.stream!(MODEL, REQ, streamOpts());
    assert.equal(api.seen.at(-1)!.path, `/v1beta1/projects/acme/locations/global/publishers/google/models/${MODEL}:streamGenerateContent?alt=sse`);
    assert.equal(out.choices[0]?.message.content, 'Bonjour');
  });

  it('embeddings on Vertex (:predict): one call for the batch, usage from the token counts Vertex reports', async () => {
    const vertex = vertexProvider('us-central1');
    const prediction = (values: number[], tokens: number) => ({ embeddings: { values, statistics: { token_count: tokens, truncated: false } } });
    api.reply({ json: { predictions: [prediction([0.1, 0.2], 4), prediction([0.3, 0.4], 6)], metadata: { billableCharacterCount: 20 } } });
    const out = await vertex.embed!('text-embedding-005', { model: 'e', input: ['hello world', 'good night moon'], dimensions: 2 }, opts());
    const sent = api.seen.at(-1)!;
    assert.equal(sent.path, '/v1beta1/projects/acme/locations/us-central1/publishers/google/models/text-embedding-005:predict');
    assert.deepEqual(sent.body, { instances: [{ content: 'hello world' }, { content: 'good night moon' }], parameters: { outputDimensionality: 2 } });
    assert.equal(sent.headers.authorization, 'Bearer ya29.replay');
    assert.deepEqual(out.data.map((d) => d.embedding), [[0.1, 0.2], [0.3, 0.4]]);
    assert.deepEqual(out.usage, { prompt_tokens: 10, total_tokens: 10 });
  });

  it('the config takes vertex without a key, and refuses a key beside it or neither', () => {
    const parse = (g: object) => parseConfigObject({ providers: { g }, models: { m: { provider: 'g', upstream: MODEL } }, callers: {}, routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }] });
    assert.deepEqual(parse({ kind: 'gemini', vertex: { project: 'acme', location: 'us-central1' } }).providers.g, { kind: 'gemini', vertex: { project: 'acme', location: 'us-central1' } });
    assert.throws(() => parse({ kind: 'gemini', apiKeyEnv: 'K', vertex: { project: 'acme', location: 'us-central1' } }), /Application Default Credentials/);
    assert.throws(() => parse({ kind: 'gemini' }), /needs apiKeyEnv or apiKeyFile/);
    assert.throws(() => parse({ kind: 'gemini', vertex: { project: 'acme' } }), /location/);
  });
});

