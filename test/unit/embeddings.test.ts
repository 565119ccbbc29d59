import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject, parseDuration, type Config } from '../../src/config';
import { costOf, priceFor } from '../../src/cost';
import { checkEmbeddings } from '../../src/embeddings/answer';
import { embeddingsAsChat, withRedactedInputs } from '../../src/embeddings/asChat';
import { embeddingsResponse, parseEmbeddingsBody } from '../../src/embeddings/request';
import { decodeFloat32Base64, encodeFloat32Base64 } from '../../src/embeddings/vectors';
import { mockVector } from '../../src/mock/embeddings';
import { UpstreamError } from '../../src/providers/upstreamError';
import { capPlanToBudget, planRoute, selectRoute, type PlanRequest, type RoutePlan } from '../../src/routing';
import type { EmbeddingsResult } from '../../src/temporal/contract';
import { refusal } from '../helpers/assertions';

const config: Config = parseConfigObject({
  providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
  models: {
    chat: { provider: 'p', upstream: 'gpt-4o-mini' },
    embed: { provider: 'p', upstream: 'text-embedding-3-small', mode: 'embedding' },
    embed2: { provider: 'p', upstream: 'text-embedding-3-large', mode: 'embedding' },
  },
  callers: { bot: { team: 't', tasks: ['chat', 'embeddings', 'mixed'], keyHash: `sha256:${'a'.repeat(64)}` } },
  routes: [
    { name: 'chat', match: { task: 'chat' }, primary: 'chat' },
    { name: 'embeddings', match: { task: 'embeddings' }, primary: 'embed', fallbacks: ['embed2'] },
    { name: 'mixed', match: { task: 'mixed' }, primary: 'chat', fallbacks: ['embed'] },
  ],
});

function plan(over: Partial<PlanRequest>) {
  const req: PlanRequest = {
    requestId: 'r1', caller: 'bot', task: 'embeddings', requestedModel: 'auto', risk: 'low', dataClass: 'internal',
    latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 0, downgrade: false, operation: 'embeddings', ...over,
  };
  return planRoute(req, selectRoute(req, config), { table: config, isAvailable: () => true, estimateCostUsd: () => 0, parseDuration });
}

describe('models declare what they do', () => {
  it('a model without mode is a chat model; mode: embedding is kept; an unknown mode is refused', () => {
    assert.equal(config.models.chat!.mode, 'chat');
    assert.equal(config.models.embed!.mode, 'embedding');
    assert.throws(() => parseConfigObject({ ...config, models: { x: { provider: 'p', upstream: 'u', mode: 'rerank' } } }), /mode/);
  });
});

describe('planner: candidates by mode', () => {
  it('an embeddings request plans only embedding models, and the explanation says why a chat model was skipped', () => {
    const p = plan({ task: 'mixed' });
    assert.deepEqual(p.candidates.map((c) => c.model), ['embed']);
    assert.match(p.explanation, /chat: not an embedding model/);
  });

  it('a chat request never plans an embedding model', () => {
    const p = plan({ task: 'mixed', operation: 'chat', maxOutputTokens: 100 });
    assert.deepEqual(p.candidates.map((c) => c.model), ['chat']);
    assert.match(p.explanation, /embed: an embedding model \(not for chat\)/);
    assert.deepEqual(plan({ task: 'mixed', operation: undefined }).candidates.map((c) => c.model), ['chat'], 'no operation = chat');
  });

  it('a route of chat models asked for embeddings is a 400 model_not_embedding; the reverse model_not_chat', () => {
    assert.equal(refusal(() => plan({ task: 'chat' })), '400 model_not_embedding');
    assert.equal(refusal(() => plan({ task: 'embeddings', operation: 'chat' })), '400 model_not_chat');
  });

  it('naming a chat model for embeddings is the same 400, naming an embedding model of the route puts it first', () => {
    assert.equal(refusal(() => plan({ task: 'mixed', requestedModel: 'chat' })), '400 model_not_embedding');
    assert.deepEqual(plan({ requestedModel: 'text-embedding-3-large' }).candidates.map((c) => c.model), ['embed2', 'embed']);
  });

  it('under a budget, an embedding model whose input alone costs more than the reservation is dropped', () => {
    const p: RoutePlan = plan({});
    const price = { inputPerMTok: 1000, outputPerMTok: 0, source: 'override' as const };
    const capped = capPlanToBudget(p, { reservedUsd: 0.005, promptTokens: 10, requested: 0, priceOf: (c) => (c.model === 'embed' ? price : { ...price, inputPerMTok: 100 }) });
    assert.deepEqual(capped.candidates.map((c) => c.model), ['embed2']);
    assert.match(capped.explanation, /embed: over budget/);
  });
});

describe('request mapping', () => {
  it('each input is one user message for admission, with no answer asked for', () => {
    const chat = embeddingsAsChat({ model: 'auto', input: ['a b', 'c'], metadata: { risk: 'high' } });
    assert.deepEqual(chat.messages, [{ role: 'user', content: 'a b' }, { role: 'user', content: 'c' }]);
    assert.equal(chat.max_tokens, 0);
    assert.deepEqual(chat.metadata, { risk: 'high' });
  });

  it('redacted messages become the inputs, keeping a single string a single string', () => {
    const redacted = [{ role: 'user' as const, content: 'key [REDACTED:api_key]' }];
    assert.deepEqual(withRedactedInputs({ model: 'm', input: 'key sk-x' }, redacted).input, 'key [REDACTED:api_key]');
    assert.deepEqual(withRedactedInputs({ model: 'm', input: ['key sk-x'] }, redacted).input, ['key [REDACTED:api_key]']);
  });

  it('bodies: token ids are refused with text_input_required; an empty or missing input is invalid_request', () => {
    const code = (body: unknown) => refusal(() => parseEmbeddingsBody(body));
    assert.equal(code({ model: 'm', input: [1, 2, 3] }), '400 text_input_required');
    assert.equal(code({ model: 'm', input: [[1, 2], [3]] }), '400 text_input_required');
    assert.equal(code({ model: 'm', input: 42 }), '400 text_input_required');
    assert.equal(code({ model: 'm', input: '' }), '400 invalid_request');
    assert.equal(code({ model: 'm', input: [] }), '400 invalid_request');
    assert.equal(code({ model: 'm' }), '400 invalid_request');
    assert.equal(code({ model: 'm', input: 'x', encoding_format: 'hex' }), '400 invalid_request');
    assert.equal(code({ model: 'm', input: Array.from({ length: 2049 }, () => 'x') }), '400 invalid_request');
    assert.deepEqual(parseEmbeddingsBody({ model: 'm', input: ['a'], dimensions: 4 }).dimensions, 4);
  });
});

describe('vectors as base64 float32 (OpenAI encoding_format: base64)', () => {
  it('is little-endian float32, byte for byte', () => {
    // 1.0f = 0x3f800000, -2.0f = 0xc0000000, 0.5f = 0x3f000000
    assert.equal(encodeFloat32Base64([1, -2, 0.5]), Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]).toString('base64'));
  });

  it('decodes back to the same float32 values; a length not a multiple of 4 is refused', () => {
    const v = [0.1, -0.25, 3.5e-8, 1];
    assert.deepEqual(decodeFloat32Base64(encodeFloat32Base64(v)), v.map(Math.fround));
    assert.throws(() => decodeFloat32Base64(Buffer.from([1, 2, 3]).toString('base64')), RangeError);
  });

  it('the edge answers floats by default and the packed base64 when asked', () => {
    const result = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: encodeFloat32Base64([0.5, 1]) }], model: 'm', usage: { prompt_tokens: 1, total_tokens: 1 }, gatehouse: {} } as unknown as EmbeddingsResult;
    assert.deepEqual(embeddingsResponse(result, undefined).data[0]!.embedding, [0.5, 1]);
    assert.deepEqual(embeddingsResponse(result, 'float').data[0]!.embedding, [0.5, 1]);
    assert.equal(embeddingsResponse(result, 'base64').data[0]!.embedding, result.data[0]!.embedding);
  });
});

describe("the adapter's answer is checked before it enters history", () => {
  const usage = { prompt_tokens: 5, total_tokens: 5 };
  const vec = (index: number, embedding = [0.5, 0.25]) => ({ object: 'embedding', index, embedding });

  it('puts vectors in input order and reports usage with no completion tokens', () => {
    const a = checkEmbeddings({ object: 'list', model: 'up', usage, data: [vec(1, [1, 2]), vec(0, [3, 4])] }, 2);
    assert.deepEqual(a.vectors.map(decodeFloat32Base64), [[3, 4], [1, 2]]);
    assert.deepEqual(a.usage, { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 });
    assert.equal(a.dimensions, 2);
  });

  const malformed: Array<[string, unknown]> = [
    ['one vector short', { model: 'up', usage, data: [vec(0)] }],
    ['a duplicated index', { model: 'up', usage, data: [vec(0), vec(0)] }],
    ['vectors of different sizes', { model: 'up', usage, data: [vec(0), vec(1, [1])] }],
    ['no usage', { model: 'up', data: [vec(0), vec(1)] }],
    ['not a list', { error: 'x' }],
  ];
  for (const [name, raw] of malformed) {
    it(`refuses ${name} as a malformed provider answer`, () => {
      assert.throws(() => checkEmbeddings(raw, 2), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
    });
  }
});

describe('mock provider vectors', () => {
  it('are deterministic per input, unit length, of the asked dimensions', () => {
    assert.deepEqual(mockVector('hello', 16), mockVector('hello', 16));
    assert.notDeepEqual(mockVector('hello', 16), mockVector('hullo', 16));
    assert.equal(mockVector('x', 40).length, 40);
    const norm = Math.sqrt(mockVector('x', 40).reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5, String(norm));
  });
});

describe('prices of embedding models', () => {
  it("the price table prices OpenAI's embedding models by input tokens alone", () => {
    for (const model of ['text-embedding-3-small', 'text-embedding-3-large']) {
      const price = priceFor('openai', model);
      assert.ok(price.inputPerMTok > 0 && price.outputPerMTok === 0, `${model}: ${JSON.stringify(price)}`);
      assert.ok(Math.abs(costOf({ prompt_tokens: 1_000_000, completion_tokens: 0 }, price) - price.inputPerMTok) < 1e-9);
    }
  });
});
