import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startMockProvider, type MockProvider } from '../../src/mock';
import { createOpenAIProvider } from '../../src/providers/openai/adapter';
import type { ChatProvider } from '../../src/providers/types';
import { MOCK_EMBEDDING_DIMENSIONS, mockVector } from '../../src/mock/embeddings';
import { UpstreamError } from '../../src/providers/upstreamError';

const opts = (timeoutMs = 5000) => ({ signal: new AbortController().signal, timeoutMs });

describe('mock provider: POST /v1/embeddings, and the mock kind embedding through the openai SDK', () => {
  let mock: MockProvider;
  let embed: NonNullable<ChatProvider['embed']>;
  before(async () => {
    mock = await startMockProvider();
    embed = createOpenAIProvider(mock.url, 'mock').embed!; // what the mock kind is: the OpenAI adapter at the mock
  });
  after(() => mock?.close());

  it('answers hash-derived vectors in order, dimensions honoured, usage counted', async () => {
    const res = await embed('mock-embed', { model: 'auto', input: ['alpha', 'beta'], dimensions: 5 }, opts());
    assert.deepEqual(res.data.map((d) => d.embedding), [mockVector('alpha', 5), mockVector('beta', 5)]);
    assert.equal(res.model, 'mock-embed');
    assert.ok(res.usage.prompt_tokens > 0 && res.usage.total_tokens === res.usage.prompt_tokens);
  });

  it("answers base64 float32 to the SDK's default (the SDK decodes it)", async () => {
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'mock', maxRetries: 0 });
    const res = await client.embeddings.create({ model: 'mock-embed', input: 'gamma' });
    assert.deepEqual(res.data[0]!.embedding, mockVector('gamma', MOCK_EMBEDDING_DIMENSIONS));
  });

  it('injects the chat faults: a 429 with Retry-After, a 500, a timeout, each as an UpstreamError', async () => {
    const before = mock.calls('mock-embed');
    mock.queueFaults('mock-embed', ['status=429,retry-after=2', 'status=500']);
    const limited = await embed('mock-embed', { model: 'auto', input: 'x' }, opts()).catch((e: unknown) => e);
    assert.ok(limited instanceof UpstreamError && limited.status === 429 && limited.retryAfterMs === 2000, String(limited));
    const failed = await embed('mock-embed', { model: 'auto', input: 'x' }, opts()).catch((e: unknown) => e);
    assert.ok(failed instanceof UpstreamError && failed.status === 500, String(failed));
    const slow = await embed('mock-embed+timeout', { model: 'auto', input: 'x' }, opts(300)).catch((e: unknown) => e);
    assert.ok(slow instanceof UpstreamError && slow.kind === 'timeout', String(slow));
    assert.equal(mock.calls('mock-embed') - before, 2, 'each fault is one provider hit');
  });

  it('refuses a body without text input with a 400', async () => {
    const res = await fetch(`${mock.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: [] }) });
    assert.equal(res.status, 400);
  });
});
